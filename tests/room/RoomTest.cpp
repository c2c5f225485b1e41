// The room's rules without sockets: nicknames, commands, fan-out, the queue
// policy and the limits, driven step by step with the time passed in.

#include "room/Room.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using pigeon::room::MemberId;
using pigeon::room::MemberQueue;
using pigeon::room::Room;
using pigeon::room::RoomLimits;

namespace {

constexpr std::int64_t kSecond = 1'000'000'000;

// Everything queued for `id`, taken off its queue.
std::vector<std::string> drain(Room& room, MemberId id) {
  std::vector<std::string> out;
  MemberQueue* queue = room.queue(id);
  while (queue != nullptr && !queue->empty()) {
    out.push_back(*queue->front().text);
    queue->pop();
  }
  return out;
}

bool contains(const std::vector<std::string>& lines, const std::string& needle) {
  for (const auto& line : lines) {
    if (line.find(needle) != std::string::npos) return true;
  }
  return false;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string all;
  for (const auto& line : lines) all += line + "\n";
  return all;
}

}  // namespace

TEST(Room, MembersSeeEachOthersLinesButNotTheirOwn) {
  Room room(RoomLimits{});
  ASSERT_TRUE(room.join(1, "a", "A", "alice", 0));
  ASSERT_TRUE(room.join(2, "b", "B", "bob", 0));
  drain(room, 1);
  drain(room, 2);
  room.hear(1, "hello", kSecond);
  EXPECT_EQ(drain(room, 2), std::vector<std::string>{"alice: hello"});
  EXPECT_TRUE(drain(room, 1).empty());
}

TEST(Room, JoinsAndLeavesAreAnnounced) {
  Room room(RoomLimits{});
  room.join(1, "a", "A", "alice", 0);
  room.join(2, "b", "B", "bob", 0);
  EXPECT_TRUE(contains(drain(room, 1), "* bob joined"));
  EXPECT_TRUE(contains(drain(room, 2), "here with alice"));
  room.leave(2, "connection closed");
  EXPECT_EQ(drain(room, 1), std::vector<std::string>{"* bob is gone (connection closed)"});
  room.join(3, "c", "C", "carol", 0);
  room.leave(3, "");
  EXPECT_TRUE(contains(drain(room, 1), "* carol left"));
}

TEST(Room, NicknamesAreUniqueIgnoringCaseAndTheSecondIsAGuest) {
  Room room(RoomLimits{});
  room.join(1, "a", "A", "alice", 0);
  room.join(2, "b", "B", "ALICE", 0);
  EXPECT_EQ(room.nick(2), "guest1");
  const auto told = drain(room, 2);
  EXPECT_TRUE(contains(told, "'ALICE' cannot be used (someone here is called that already)"))
      << joined(told);
  EXPECT_EQ(room.counters().nicksRefused, 1u);
}

TEST(Room, NicknamesWithControlEscapeOrInvisibleCharactersAreRefused) {
  Room room(RoomLimits{});
  const std::vector<std::string> bad = {"\x1b[2Jalice",
                                        "al\tice",
                                        "ali\u200Bce",
                                        "alice\u2060",
                                        "\xEF\xBB\xBF"
                                        "alice",
                                        "bob\u2028",
                                        "\u3164",
                                        "two words",
                                        "/who",
                                        "*admin",
                                        std::string(33, 'x'),
                                        std::string("a\0b", 3),
                                        "\xff\xfe"};
  MemberId id = 1;
  for (const auto& nick : bad) {
    ASSERT_TRUE(room.join(id, "a", "A" + std::to_string(id), nick, 0));
    EXPECT_EQ(room.nick(id).rfind("guest", 0), 0u) << room.nick(id);
    // What the member is told shows the refused name escaped, never raw.
    for (const auto& line : drain(room, id)) {
      EXPECT_EQ(line.find('\x1b'), std::string::npos) << line;
      EXPECT_EQ(line.find("\u200B"), std::string::npos) << line;
    }
    ++id;
  }
  EXPECT_EQ(room.counters().nicksRefused, bad.size());
}

TEST(Room, WhoListsEveryone) {
  Room room(RoomLimits{});
  room.join(1, "a", "A", "carol", 0);
  room.join(2, "b", "B", "alice", 0);
  room.join(3, "c", "C", {}, 0);
  drain(room, 1);
  room.hear(1, "/who", kSecond);
  EXPECT_EQ(drain(room, 1), std::vector<std::string>{"* here (3): alice, carol, guest1"});
}

TEST(Room, NickChangesAreCheckedAndAnnounced) {
  Room room(RoomLimits{});
  room.join(1, "a", "A", "alice", 0);
  room.join(2, "b", "B", "bob", 0);
  drain(room, 1);
  drain(room, 2);
  room.hear(2, "/nick alice", kSecond);
  EXPECT_TRUE(contains(drain(room, 2), "you are still bob"));
  room.hear(2, "/nick \x1b]0;pwned\x07", kSecond);
  EXPECT_TRUE(contains(drain(room, 2), "you are still bob"));
  room.hear(2, "/nick robert", kSecond);
  EXPECT_EQ(drain(room, 1), std::vector<std::string>{"* bob is now robert"});
  EXPECT_EQ(room.nick(2), "robert");
  room.hear(1, "/msg bob hi", kSecond);
  EXPECT_TRUE(contains(drain(room, 1), "no one here is called bob"));
}

TEST(Room, PrivateMessagesGoToOneMemberOnly) {
  Room room(RoomLimits{});
  room.join(1, "a", "A", "alice", 0);
  room.join(2, "b", "B", "bob", 0);
  room.join(3, "c", "C", "carol", 0);
  for (MemberId id : {1, 2, 3}) drain(room, id);
  room.hear(1, "/msg BOB the cake is a lie", kSecond);
  EXPECT_EQ(drain(room, 2), std::vector<std::string>{"* alice to you: the cake is a lie"});
  EXPECT_EQ(drain(room, 1), std::vector<std::string>{"* to bob: the cake is a lie"});
  EXPECT_TRUE(drain(room, 3).empty());
}

TEST(Room, QuitAsksTheServerToLetTheMemberGo) {
  Room room(RoomLimits{});
  room.join(1, "a", "A", "alice", 0);
  EXPECT_EQ(room.hear(1, "/quit", kSecond), Room::Heard::kQuit);
  EXPECT_EQ(room.hear(1, "/quit\r", kSecond), Room::Heard::kQuit);  // telnet
  EXPECT_EQ(room.hear(1, "quit", kSecond), Room::Heard::kStay);     // just a word
}

TEST(Room, EscapeSequencesAndControlCharactersReachOthersEscaped) {
  Room room(RoomLimits{});
  room.join(1, "a", "A", "alice", 0);
  room.join(2, "b", "B", "bob", 0);
  drain(room, 2);
  room.hear(1, std::string("\x1b[2J\x1b]0;title\x07\r\x08x\0y\nz", 14), kSecond);
  const auto got = drain(room, 2);
  ASSERT_EQ(got.size(), 1u);
  for (const char c : got[0]) EXPECT_GE(static_cast<unsigned char>(c), 0x20) << got[0];
  EXPECT_NE(got[0].find("\\e[2J"), std::string::npos) << got[0];
}

TEST(Room, TooLongLinesAreRefusedAndTheSenderTold) {
  RoomLimits limits;
  limits.maxLineBytes = 100;
  Room room(limits);
  room.join(1, "a", "A", "alice", 0);
  room.join(2, "b", "B", "bob", 0);
  drain(room, 1);
  drain(room, 2);
  room.hear(1, std::string(10'000, 'x'), kSecond);
  EXPECT_TRUE(drain(room, 2).empty());
  EXPECT_EQ(drain(room, 1),
            std::vector<std::string>{"* not sent: line too long (10000 bytes, at most 100)"});
  EXPECT_EQ(room.counters().tooLong, 1u);
}

TEST(Room, AFloodFromOneMemberIsCutToItsRateAndOthersKeepTheirs) {
  RoomLimits limits;
  limits.linesPerS = 10;
  limits.burstLines = 10;
  Room room(limits);
  room.join(1, "a", "A", "flooder", 0);
  room.join(2, "b", "B", "bob", 0);
  room.join(3, "c", "C", "carol", 0);
  for (MemberId id : {1, 2, 3}) drain(room, id);
  for (int i = 0; i < 1000; ++i) room.hear(1, "spam " + std::to_string(i), kSecond);
  room.hear(3, "still here", kSecond);
  const auto bob = drain(room, 2);
  EXPECT_EQ(bob.size(), 11u) << joined(bob);  // the burst, then carol
  EXPECT_EQ(bob.back(), "carol: still here");
  EXPECT_EQ(room.counters().rateLimited, 990u);
  // Told once a second, not once a line.
  const auto told = drain(room, 1);
  EXPECT_EQ(told.size(), 2u) << joined(told);
  // A second later the bucket has refilled by the rate.
  for (int i = 0; i < 20; ++i) room.hear(1, "more", 2 * kSecond);
  EXPECT_EQ(drain(room, 2).size(), 10u);
}

TEST(Room, AMemberThatNeverReadsLosesItsOldestLinesAndNoOneElseAnything) {
  RoomLimits limits;
  limits.queueLines = 8;
  limits.linesPerS = 1e6;
  limits.burstLines = 1e6;
  std::vector<std::string> log;
  Room room(limits, [&log](const std::string& line) { log.push_back(line); });
  room.join(1, "a", "A", "alice", 0);
  room.join(2, "b", "B", "stuck", 0);
  room.join(3, "c", "C", "carol", 0);
  drain(room, 1);
  drain(room, 3);
  std::size_t carolGot = 0;
  for (int i = 0; i < 100; ++i) {
    room.hear(1, "line " + std::to_string(i), kSecond);
    carolGot += drain(room, 3).size();  // carol reads as lines come
  }
  // carol got all 100; the stuck member holds 8, the newest, numbered so
  // that its screen shows the gap.
  EXPECT_EQ(carolGot, 100u);
  MemberQueue* stuck = room.queue(2);
  ASSERT_EQ(stuck->size(), 8u);
  EXPECT_EQ(*stuck->front().text, "alice: line 92");
  EXPECT_EQ(stuck->front().sequence, 94u);  // its welcome, "carol joined", 92 lines
  EXPECT_EQ(room.counters().dropped, 94u);
  EXPECT_TRUE(contains(log, "stuck is not keeping up"));
}

TEST(Room, FullRoomsAndBusyAddressesRefuseTheNewest) {
  RoomLimits limits;
  limits.maxMembers = 3;
  limits.maxMembersPerAddress = 2;
  Room room(limits);
  EXPECT_TRUE(room.join(1, "a", "A", {}, 0));
  EXPECT_TRUE(room.join(2, "a", "A", {}, 0));
  EXPECT_FALSE(room.join(3, "a", "A", {}, 0));  // the address has two
  EXPECT_TRUE(room.join(4, "b", "B", {}, 0));
  EXPECT_FALSE(room.join(5, "c", "C", {}, 0));  // the room has three
  EXPECT_EQ(room.counters().refused, 2u);
  room.leave(1, "");
  EXPECT_TRUE(room.join(6, "a", "A", {}, 0));
  EXPECT_EQ(room.size(), 3u);
}

TEST(Room, SilentMembersAreIdleAfterTheTimeout) {
  RoomLimits limits;
  limits.idleTimeoutNs = 10 * kSecond;
  Room room(limits);
  room.join(1, "a", "A", "talker", 0);
  room.join(2, "b", "B", "lurker", 0);
  room.hear(1, "hi", 8 * kSecond);
  room.heardFrom(2, 5 * kSecond);  // a keepalive
  EXPECT_TRUE(room.idle(12 * kSecond).empty());
  EXPECT_EQ(room.idle(16 * kSecond), std::vector<MemberId>{2});
}

TEST(MemberQueue, DropsTheOldestWhenFullInLinesOrBytes) {
  MemberQueue queue(4, 10);
  for (int i = 0; i < 6; ++i) queue.push(std::make_shared<const std::string>("ab"));
  EXPECT_EQ(queue.size(), 4u);
  EXPECT_EQ(queue.front().sequence, 2u);
  EXPECT_EQ(queue.dropped(), 2u);
  EXPECT_EQ(queue.push(std::make_shared<const std::string>("0123456789")), 4u);
  EXPECT_EQ(queue.size(), 1u);
  EXPECT_EQ(queue.bytes(), 10u);
  EXPECT_EQ(queue.nextSequence(), 7u);
}
