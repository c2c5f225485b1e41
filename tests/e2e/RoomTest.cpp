// End-to-end: `pigeon room` with pigeon members and plain ones (nc, nc -u)
// at once, on loopback (issue 11's must-hold room test).

#include "ChildProcess.h"

#include <Poco/Net/DatagramSocket.h>
#include <Poco/Util/Application.h>
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <memory>
#include <string>

using pigeon::testing::ChildProcess;
using App = Poco::Util::Application;

namespace {

std::unique_ptr<ChildProcess> startRoom(const std::string& transport, int& port,
                                        std::vector<std::string> extra = {}) {
  std::vector<std::string> argv = {PIGEON_BINARY, "room", "--transport", transport,
                                   "--port",      "0",    "--bind",      "127.0.0.1"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto room = std::make_unique<ChildProcess>(argv);
  port = room->listeningPort("serving " + transport + " on ");
  EXPECT_GT(port, 0) << room->err();
  return room;
}

std::unique_ptr<ChildProcess> member(const std::string& transport, int port,
                                     const std::string& nick) {
  return std::make_unique<ChildProcess>(
      std::vector<std::string>{PIGEON_BINARY, "chat", "-t", transport, "--room",
                               "127.0.0.1:" + std::to_string(port), "--nick", nick});
}

}  // namespace

// README: peers that speak different transports say so instead of waiting
// in silence. A udp member of an rudp room waited, said nothing and exited 0.
TEST(RoomWithMembers, AUdpMemberOfAnRudpRoomSaysNoAnswerCameAndWhichFlagToUse) {
  int port = 0;
  auto room = startRoom("rudp", port);
  ASSERT_GT(port, 0);
  auto udp = member("udp", port, "alice");
  // The note comes while it waits (after 3 s), stdin still open.
  EXPECT_TRUE(
      udp->waitForStderr("* no answer from 127.0.0.1:" + std::to_string(port) + " over udp yet",
                         std::chrono::milliseconds(6000)))
      << udp->err();
  EXPECT_NE(udp->err().find("a room serving -t rudp or -t tcp, use the same -t"), std::string::npos)
      << udp->err();
  udp->closeStdin();
  const auto code = udp->wait(std::chrono::milliseconds(5000));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 69) << udp->err();  // EX_UNAVAILABLE, as for a --peer
  EXPECT_NE(udp->err().find("never answered over udp"), std::string::npos) << udp->err();
  // The room's side says who knocked, and how to join.
  EXPECT_TRUE(room->waitForStderr("is knocking with plain udp")) << room->err();
  EXPECT_NE(room->err().find("pigeon chat -t rudp --room"), std::string::npos) << room->err();
  room->signal(SIGTERM);
}

TEST(RoomWithMembers, TwoPigeonsAndNetcatOverTcpSeeEachOtherAndAKilledMemberIsAnnouncedGone) {
  int port = 0;
  auto room = startRoom("tcp", port);
  auto alice = member("tcp", port, "alice");
  ASSERT_TRUE(alice->waitForStdout("* welcome, alice")) << alice->out() << alice->err();
  auto bob = member("tcp", port, "bob");
  ASSERT_TRUE(bob->waitForStdout("* welcome, bob: here with alice")) << bob->out() << bob->err();
  ChildProcess nc({"nc", "127.0.0.1", std::to_string(port)});
  ASSERT_TRUE(nc.waitForStdout("* welcome, guest1")) << nc.out() << nc.err();
  ASSERT_TRUE(alice->waitForStdout("* guest1 joined")) << alice->out();

  alice->write("hello from alice\n");
  bob->write("hello from bob\n");
  nc.write("hello from nc\n");
  EXPECT_TRUE(bob->waitForStdout("alice: hello from alice\n")) << bob->out();
  EXPECT_TRUE(nc.waitForStdout("alice: hello from alice\n")) << nc.out();
  EXPECT_TRUE(alice->waitForStdout("bob: hello from bob\n")) << alice->out();
  EXPECT_TRUE(nc.waitForStdout("bob: hello from bob\n")) << nc.out();
  EXPECT_TRUE(alice->waitForStdout("guest1: hello from nc\n")) << alice->out();
  EXPECT_TRUE(bob->waitForStdout("guest1: hello from nc\n")) << bob->out();

  alice->write("/who\n");
  EXPECT_TRUE(alice->waitForStdout("* here (3): alice, bob, guest1\n")) << alice->out();
  nc.write("/who\n");
  EXPECT_TRUE(nc.waitForStdout("* here (3): alice, bob, guest1\n")) << nc.out();

  bob->signal(SIGKILL);
  EXPECT_TRUE(alice->waitForStdout("* bob is gone (connection closed)\n")) << alice->out();
  EXPECT_TRUE(nc.waitForStdout("* bob is gone (connection closed)\n")) << nc.out();

  alice->write("/quit\n");
  EXPECT_EQ(alice->wait(), 0) << alice->err();
  EXPECT_TRUE(nc.waitForStdout("* alice left\n")) << nc.out();
  room->signal(SIGINT);
  EXPECT_EQ(room->wait(), 0) << room->err();
  EXPECT_NE(room->err().find("joined 3, left 2"), std::string::npos) << room->err();
}

TEST(RoomWithMembers, TwoPigeonsAndNetcatOverUdpSeeEachOtherAndOneWhoQuitsIsAnnounced) {
  int port = 0;
  // Pigeons keep alive every 5 s; nc -u says nothing unless typed to.
  auto room = startRoom("udp", port, {"--idle-timeout", "7"});
  auto alice = member("udp", port, "alice");
  ASSERT_TRUE(alice->waitForStdout("* welcome, alice")) << alice->out() << alice->err();
  auto bob = member("udp", port, "bob");
  ASSERT_TRUE(bob->waitForStdout("* welcome, bob: here with alice")) << bob->out() << bob->err();
  ChildProcess nc({"nc", "-u", "127.0.0.1", std::to_string(port)});
  nc.write("hello from nc\n");
  ASSERT_TRUE(nc.waitForStdout("* welcome, guest1")) << nc.out() << nc.err();
  EXPECT_TRUE(alice->waitForStdout("guest1: hello from nc\n")) << alice->out();
  EXPECT_TRUE(bob->waitForStdout("guest1: hello from nc\n")) << bob->out();
  alice->write("hello from alice\n");
  EXPECT_TRUE(bob->waitForStdout("alice: hello from alice\n")) << bob->out();
  EXPECT_TRUE(nc.waitForStdout("alice: hello from alice\n")) << nc.out();
  bob->write("/who\n");
  EXPECT_TRUE(bob->waitForStdout("* here (3): alice, bob, guest1\n")) << bob->out();
  bob->write("/quit\n");
  EXPECT_EQ(bob->wait(), 0) << bob->err();
  EXPECT_TRUE(alice->waitForStdout("* bob left\n")) << alice->out();
  EXPECT_TRUE(nc.waitForStdout("* bob left\n")) << nc.out();
}

TEST(RoomWithMembers, SilentUdpMembersExpireAndTheOthersAreTold) {
  int port = 0;
  auto room = startRoom("udp", port, {"--idle-timeout", "0.5"});
  ChildProcess lurker({"nc", "-u", "127.0.0.1", std::to_string(port)});
  lurker.write("hi, then silence\n");
  ASSERT_TRUE(lurker.waitForStdout("* welcome, guest1")) << lurker.out();
  ChildProcess talker({"nc", "-u", "127.0.0.1", std::to_string(port)});
  talker.write("hi\n");
  ASSERT_TRUE(talker.waitForStdout("* welcome, guest2")) << talker.out();
  // The talker keeps talking; the lurker's half second runs out.
  bool told = false;
  for (int i = 0; i < 20 && !told; ++i) {
    talker.write("still here\n");
    told =
        talker.waitForStdout("* guest1 is gone (silent for 0.5 s)\n", ChildProcess::Duration(100));
  }
  EXPECT_TRUE(told) << talker.out();
  EXPECT_TRUE(room->waitForStderr("guest1 is gone (silent for 0.5 s)")) << room->err();
}

TEST(RoomWithMembers, BadOptionsAreOneLineAndExitUsage) {
  for (const std::vector<std::string>& args : {std::vector<std::string>{"--transport", "sctp"},
                                               {"--port", "70000"},
                                               {"--max-members", "0"},
                                               {"--max-rate", "fast"}}) {
    std::vector<std::string> argv = {PIGEON_BINARY, "room"};
    argv.insert(argv.end(), args.begin(), args.end());
    ChildProcess p(argv);
    EXPECT_EQ(p.wait(), App::EXIT_USAGE) << args.front() << ": " << p.err();
    EXPECT_EQ(p.err().rfind("pigeon room: ", 0), 0u) << p.err();
  }
}

TEST(RoomWithMembers, TwoPigeonsOverRudpSeeEachOtherOnOneSocket) {
  int port = 0;
  auto room = startRoom("rudp", port);
  auto alice = member("rudp", port, "alice");
  ASSERT_TRUE(alice->waitForStdout("* welcome, alice")) << alice->out() << alice->err();
  auto bob = member("rudp", port, "bob");
  ASSERT_TRUE(bob->waitForStdout("* welcome, bob: here with alice")) << bob->out() << bob->err();
  alice->write("hello from alice\n");
  EXPECT_TRUE(bob->waitForStdout("alice: hello from alice\n")) << bob->out();
  bob->write("/who\n");
  EXPECT_TRUE(bob->waitForStdout("* here (2): alice, bob\n")) << bob->out();
  bob->write("/quit\n");
  EXPECT_EQ(bob->wait(), 0) << bob->err();
  EXPECT_TRUE(alice->waitForStdout("* bob left\n")) << alice->out();
}

TEST(RoomWithMembers, AKilledRudpMemberIsAnnouncedGoneWithinItsSilenceLimit) {
  int port = 0;
  // rudp asks a silent member's stack to answer; --idle-timeout 1: one
  // second of no datagram at all and it is gone (rudp's own limit is 10 s).
  auto room = startRoom("rudp", port, {"--idle-timeout", "1"});
  auto alice = member("rudp", port, "alice");
  ASSERT_TRUE(alice->waitForStdout("* welcome, alice")) << alice->out() << alice->err();
  auto bob = member("rudp", port, "bob");
  ASSERT_TRUE(bob->waitForStdout("* welcome, bob: here with alice")) << bob->out() << bob->err();
  const auto killed = std::chrono::steady_clock::now();
  bob->signal(SIGKILL);
  EXPECT_TRUE(alice->waitForStdout("* bob is gone (went silent)\n", ChildProcess::Duration(3000)))
      << alice->out();
  EXPECT_LT(std::chrono::steady_clock::now() - killed, std::chrono::milliseconds(3000));
  alice->write("/quit\n");
  EXPECT_EQ(alice->wait(), 0) << alice->err();
}

TEST(RoomWithMembers, LinesThatWaitTogetherReachAUdpPigeonInOnePackAndAllAreShown) {
  int port = 0;
  auto room = startRoom("udp", port, {"--max-rate", "1000"});
  auto alice = member("udp", port, "alice");
  ASSERT_TRUE(alice->waitForStdout("* welcome, alice")) << alice->out() << alice->err();
  // A plain member says 20 lines in one datagram: the room hears them at
  // once, and they wait together for alice (a pack, docs/protocol.md).
  Poco::Net::DatagramSocket plain(Poco::Net::SocketAddress("127.0.0.1", 0), false);
  std::string said;
  for (int i = 0; i < 20; ++i) said += "line " + std::to_string(i) + "\n";
  plain.sendTo(said.data(), static_cast<int>(said.size()),
               Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)));
  ASSERT_TRUE(alice->waitForStdout("guest1: line 19\n")) << alice->out();
  std::string expected;
  for (int i = 0; i < 20; ++i) expected += "guest1: line " + std::to_string(i) + "\n";
  EXPECT_NE(alice->out().find("* guest1 joined\n" + expected), std::string::npos) << alice->out();
  EXPECT_EQ(alice->out().find("missing"), std::string::npos) << alice->out();
  EXPECT_EQ(alice->out().find("malformed"), std::string::npos) << alice->out();
  alice->write("/quit\n");
  EXPECT_EQ(alice->wait(), 0) << alice->err();
}
