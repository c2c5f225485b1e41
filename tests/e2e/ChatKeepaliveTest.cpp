// End-to-end: a pigeon chat notices a frozen pigeon peer (issue 10 item 7).
// A frozen peer is a child pigeon stopped with SIGSTOP: its sockets stay
// open (TCP still acknowledges), but it sends nothing and reads nothing.

#include "ChildProcess.h"

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <memory>
#include <string>
#include <thread>

using pigeon::testing::ChildProcess;

namespace {

// Keepalives every 300 ms: the peer is quiet after 3 of them missed (0.9 s).
const std::string kKeepalive = "0.3";
const ChildProcess::Duration kNotice(5000);

struct Pair {
  std::unique_ptr<ChildProcess> alice;  // listens
  std::unique_ptr<ChildProcess> bob;    // connects
};

Pair startPair(const std::string& transport) {
  Pair pair;
  pair.alice = std::make_unique<ChildProcess>(std::vector<std::string>{
      PIGEON_BINARY, "chat", "--transport", transport, "--listen", "0", "--bind", "127.0.0.1",
      "--nick", "alice", "--keepalive", kKeepalive});
  const int port = pair.alice->listeningPort("listening on " + transport + " ");
  EXPECT_GT(port, 0) << pair.alice->err();
  pair.bob = std::make_unique<ChildProcess>(std::vector<std::string>{
      PIGEON_BINARY, "chat", "-t", transport, "--peer", "127.0.0.1:" + std::to_string(port),
      "--nick", "bob", "--keepalive", kKeepalive});
  EXPECT_TRUE(pair.alice->waitForStderr("bob joined")) << pair.alice->err();
  EXPECT_TRUE(pair.bob->waitForStderr("alice joined")) << pair.bob->err();
  return pair;
}

void frozenPeerIsNoticedAndItsReturnToo(const std::string& transport) {
  Pair pair = startPair(transport);
  ChildProcess& alice = *pair.alice;
  ChildProcess& bob = *pair.bob;
  // Quiet but alive: keepalives flow, nothing is said.
  EXPECT_FALSE(alice.waitForStderr("gone quiet", ChildProcess::Duration(1000))) << alice.err();
  bob.signal(SIGSTOP);
  EXPECT_TRUE(alice.waitForStderr("* bob has gone quiet: nothing from it for ", kNotice))
      << alice.err();
  // Stopped for longer than bob's own quiet judgement (0.9 s) takes.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  bob.signal(SIGCONT);
  EXPECT_TRUE(alice.waitForStderr("* bob is back after ", kNotice)) << alice.err();
  // The stopped side slept through the silence: it says so, and does not
  // blame alice for it.
  EXPECT_TRUE(bob.waitForStderr("* this chat was stopped for ", kNotice)) << bob.err();
  EXPECT_FALSE(bob.waitForStderr("alice has gone quiet", ChildProcess::Duration(500))) << bob.err();
  bob.write("still here\n");
  EXPECT_TRUE(alice.waitForStdout("bob: still here\n")) << alice.out();
  // Keepalives are never shown as lines.
  EXPECT_EQ(alice.out(), "bob: still here\n");
  bob.write("/quit\n");
  EXPECT_EQ(bob.wait(), 0) << bob.err();
  EXPECT_EQ(alice.wait(), 0) << alice.err();
}

}  // namespace

TEST(ChatKeepalive, AFrozenPeerIsNoticedOverUdp) { frozenPeerIsNoticedAndItsReturnToo("udp"); }

TEST(ChatKeepalive, AFrozenPeerIsNoticedOverTcp) { frozenPeerIsNoticedAndItsReturnToo("tcp"); }

// Typing into a frozen TCP peer fills its receive buffer and our send
// buffer (about 3.4 MB on loopback); then the next line cannot go. That is
// said once, not left silent.
TEST(ChatKeepalive, AFullSendQueueIsSaid) {
  Pair pair = startPair("tcp");
  ChildProcess& alice = *pair.alice;
  ChildProcess& bob = *pair.bob;
  alice.signal(SIGSTOP);
  // A writer of its own: bob stops reading stdin once blocked, so the
  // pipe fills and the write waits until bob is killed.
  std::thread typist([&bob] {
    const std::string line(999, 'x');
    std::string block;
    for (int i = 0; i < 1000; ++i) block += line + "\n";
    for (int i = 0; i < 16 && bob.tryWrite(block); ++i) {
    }
  });
  const bool said = bob.waitForStderr("* alice is not reading: ", ChildProcess::Duration(10'000));
  EXPECT_TRUE(said) << bob.err();
  bob.signal(SIGKILL);
  bob.wait();
  typist.join();
  alice.signal(SIGCONT);
  alice.signal(SIGKILL);
}
