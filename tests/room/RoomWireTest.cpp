// What the room puts in one UDP datagram for a member: one line alone, or
// the lines its queue holds together, within chat::RoomPack::kMaxBytes.

#include "room/RoomWire.h"

#include "chat/RoomPack.h"
#include "wire/Codec.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using pigeon::chat::RoomPack;
using pigeon::room::MemberQueue;
using pigeon::room::RoomWire;

namespace {

MemberQueue queueOf(std::size_t lines, std::size_t bytesEach) {
  MemberQueue queue(1000, 1 << 20);
  for (std::size_t i = 0; i < lines; ++i) {
    queue.push(std::make_shared<const std::string>(std::string("line ") + std::to_string(i) +
                                                   std::string(bytesEach, '.')));
  }
  return queue;
}

}  // namespace

TEST(RoomWire, OneLineGoesAloneAndSeveralGoTogetherUpToTheSafeSize) {
  pigeon::wire::Bytes scratch;
  pigeon::wire::Bytes out;
  const MemberQueue one = queueOf(1, 10);
  EXPECT_EQ(RoomWire::appendDatagram(one, 0, scratch, out), 1u);
  auto decoded = pigeon::wire::decodeDatagram(out);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded.frame.header.streamId, RoomWire::kChatStream);  // as before: no pack

  const MemberQueue many = queueOf(100, 40);
  std::uint64_t next = 0;
  std::size_t datagrams = 0;
  for (std::size_t first = 0; first < many.size(); ++datagrams) {
    out.clear();
    const std::size_t taken = RoomWire::appendDatagram(many, first, scratch, out);
    ASSERT_GE(taken, 1u);
    EXPECT_LE(out.size(), RoomPack::kMaxBytes);
    decoded = pigeon::wire::decodeDatagram(out);
    ASSERT_TRUE(decoded.ok());
    std::vector<pigeon::wire::Frame> lines;
    if (taken > 1) {
      ASSERT_EQ(decoded.frame.header.streamId, RoomPack::kStream);
      ASSERT_EQ(RoomPack::unpack(decoded.frame.payload, lines), pigeon::wire::DecodeError::kNone);
    } else {
      lines.push_back(decoded.frame);
    }
    ASSERT_EQ(lines.size(), taken);
    for (const auto& line : lines) EXPECT_EQ(line.header.sequence, next++);
    first += taken;
  }
  EXPECT_EQ(next, 100u);
  EXPECT_LE(datagrams, 100u / 12);  // some 80 bytes a line: 14 to a pack

  // A line too long to share a datagram goes alone.
  const MemberQueue big = queueOf(3, 1100);
  out.clear();
  EXPECT_EQ(RoomWire::appendDatagram(big, 0, scratch, out), 1u);
}

TEST(RoomWire, APlainMemberGetsWaitingLinesJoinedAndStillHearsOfDrops) {
  MemberQueue queue = queueOf(50, 40);
  std::uint64_t expected = 3;  // lines 0..2 were dropped before it
  pigeon::wire::Bytes out;
  const std::size_t taken = RoomWire::appendPlainDatagram(queue, 3, expected, out);
  EXPECT_GT(taken, 10u);
  EXPECT_LE(out.size(), RoomPack::kMaxBytes);
  EXPECT_EQ(expected, 3 + taken);
  const std::string text(out.begin(), out.end());
  EXPECT_EQ(text.rfind("line 3.", 0), 0u);
  EXPECT_EQ(text.back(), '\n');
  out.clear();
  expected = 0;
  RoomWire::appendPlainDatagram(queue, 5, expected, out);
  EXPECT_EQ(std::string(out.begin(), out.end()).rfind("* 5 lines dropped here", 0), 0u);
}
