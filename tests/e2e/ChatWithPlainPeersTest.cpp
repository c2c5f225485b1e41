// End-to-end: pigeon chats with peers that know nothing of its protocol:
// nc, socat and the lock-step Python socket scripts of a networking course.

#include "ChildProcess.h"

#include <gtest/gtest.h>

#include <string>

using pigeon::testing::ChildProcess;

namespace {

const std::string kPeers = PIGEON_TEST_PEERS;

std::unique_ptr<ChildProcess> listen(const std::string& transport, int& port) {
  auto pigeon = std::make_unique<ChildProcess>(
      std::vector<std::string>{PIGEON_BINARY, "chat", "-t", transport, "--listen", "0", "--bind",
                               "127.0.0.1", "--nick", "alice"});
  port = pigeon->listeningPort("listening on " + transport + " ");
  EXPECT_GT(port, 0) << pigeon->err();
  return pigeon;
}

}  // namespace

TEST(ChatWithPlainPeers, NetcatUdpAndPigeonTalkBothWays) {
  int port = 0;
  auto pigeon = listen("udp", port);
  ChildProcess nc({"nc", "-u", "127.0.0.1", std::to_string(port)});
  nc.write("hello from nc\n");
  ASSERT_TRUE(pigeon->waitForStdout(": hello from nc\n")) << pigeon->out() << pigeon->err();
  pigeon->write("hello nc\n");
  EXPECT_TRUE(nc.waitForStdout("hello nc\n")) << nc.out() << nc.err();
  pigeon->write("/quit\n");
  EXPECT_EQ(pigeon->wait(), 0);
}

TEST(ChatWithPlainPeers, NetcatTcpAndPigeonTalkBothWaysEvenWhenPigeonSpeaksFirst) {
  int port = 0;
  auto pigeon = listen("tcp", port);
  ChildProcess nc({"nc", "-N", "127.0.0.1", std::to_string(port)});
  ASSERT_TRUE(pigeon->waitForStderr("connection from")) << pigeon->err();
  // nc waits for its user, so pigeon's first words must be plain text.
  pigeon->write("welcome\n");
  ASSERT_TRUE(nc.waitForStdout("welcome\n")) << nc.out();
  EXPECT_EQ(nc.out().find("PG"), std::string::npos);
  nc.write("thanks\n");
  ASSERT_TRUE(pigeon->waitForStdout(": thanks\n")) << pigeon->out();
  nc.closeStdin();  // nc -N closes the connection at end of input: the chat ends
  EXPECT_TRUE(pigeon->waitForStderr("closed the connection")) << pigeon->err();
  EXPECT_EQ(pigeon->wait(), 0);
}

TEST(ChatWithPlainPeers, SocatOverUdpAndTcpTalkBothWays) {
  for (const std::string transport : {"udp", "tcp"}) {
    int port = 0;
    auto pigeon = listen(transport, port);
    const std::string address =
        (transport == "udp" ? "UDP:127.0.0.1:" : "TCP:127.0.0.1:") + std::to_string(port);
    ChildProcess socat({"socat", "-", address});
    socat.write("hi from socat\n");
    ASSERT_TRUE(pigeon->waitForStdout(": hi from socat\n")) << transport << pigeon->err();
    pigeon->write("hi socat\n");
    EXPECT_TRUE(socat.waitForStdout("hi socat\n")) << transport << socat.err();
    pigeon->write("/quit\n");
    EXPECT_EQ(pigeon->wait(), 0);
  }
}

TEST(ChatWithPlainPeers, LockStepPythonScriptGetsAnAnswerToEachChunkWithoutNewline) {
  for (const std::string transport : {"udp", "tcp"}) {
    int port = 0;
    auto pigeon = listen(transport, port);
    ChildProcess script({"python3", kPeers + "/lockstep_client.py", transport, "127.0.0.1",
                         std::to_string(port), "ping", "héllo wörld ✓"});
    // Each chunk shows the moment it arrives, though no newline ends it.
    ASSERT_TRUE(pigeon->waitForStdout(": ping\n")) << transport << pigeon->out();
    pigeon->write("pong\n");
    ASSERT_TRUE(script.waitForStdout("got: pong\n")) << script.out() << script.err();
    ASSERT_TRUE(pigeon->waitForStdout(": héllo wörld ✓\n")) << pigeon->out();
    pigeon->write("ok ✓\n");
    EXPECT_TRUE(script.waitForStdout("got: ok ✓\n")) << script.out() << script.err();
    EXPECT_EQ(script.wait(), 0) << script.err();
    if (transport == "tcp") {
      // The script closed its socket: that ends the chat.
      EXPECT_TRUE(pigeon->waitForStderr("closed the connection")) << pigeon->err();
    } else {
      pigeon->write("/quit\n");  // a UDP script cannot say it is done
    }
    EXPECT_EQ(pigeon->wait(), 0);
  }
}

TEST(ChatWithPlainPeers, PlainFlagMakesPigeonSpeakFirstToAWaitingPlainServer) {
  for (const std::string transport : {"udp", "tcp"}) {
    ChildProcess server({"python3", kPeers + "/plain_listener.py", transport});
    ASSERT_TRUE(server.waitForStdout("\n")) << server.err();
    const std::string port = server.out().substr(5, server.out().find('\n') - 5);
    ChildProcess pigeon(
        {PIGEON_BINARY, "chat", "-t", transport, "--peer", "127.0.0.1:" + port, "--plain"});
    pigeon.write("hello server\n");
    ASSERT_TRUE(server.waitForStdout("got: hello server\n")) << transport << server.out();
    EXPECT_TRUE(pigeon.waitForStdout(": pong\n")) << pigeon.out() << pigeon.err();
    pigeon.write("/quit\n");
    EXPECT_EQ(pigeon.wait(), 0) << pigeon.err();
  }
}

TEST(ChatWithPlainPeers, EscapeSequencesAndInvalidUtf8AreShownNeverExecuted) {
  int port = 0;
  auto pigeon = listen("udp", port);
  ChildProcess sender({"python3", kPeers + "/raw_sender.py", "127.0.0.1", std::to_string(port),
                       R"(b'\x1b[31mred\x1b]0;owned\x07 \xff\xfe bell\x07 \xc2\x9b2J end\n')"});
  ASSERT_TRUE(pigeon->waitForStdout(" end\n")) << pigeon->out() << pigeon->err();
  const std::string& out = pigeon->out();
  EXPECT_NE(out.find("\\e[31mred\\e]0;owned\\a \xEF\xBF\xBD\xEF\xBF\xBD bell\\a \\u{009B}2J end"),
            std::string::npos)
      << out;
  for (char c : out) {
    const auto b = static_cast<unsigned char>(c);
    EXPECT_TRUE(b == '\n' || b == '\t' || b >= 0x20) << "raw control byte " << int(b);
  }
  pigeon->tryWrite("/quit\n");  // the sender may be gone already
  EXPECT_EQ(pigeon->wait(), 0);
}

TEST(ChatWithPlainPeers, GapsReorderingAndDuplicatesAreShownInline) {
  int port = 0;
  auto pigeon = listen("udp", port);
  ChildProcess peer({"python3", kPeers + "/frame_sender.py", "127.0.0.1", std::to_string(port),
                     "dave", "0", "1", "4", "3", "3", "5"});
  ASSERT_TRUE(pigeon->waitForStdout("dave: message 5\n")) << pigeon->out() << pigeon->err();
  const std::string& out = pigeon->out();
  EXPECT_NE(out.find("dave: message 1\n"), std::string::npos) << out;
  EXPECT_NE(out.find("dave: message 4  [2 messages missing before this]\n"), std::string::npos)
      << out;
  EXPECT_NE(out.find("dave: message 3  [out of order: 1 behind the newest]\n"), std::string::npos)
      << out;
  EXPECT_NE(out.find("dave: message 3  [duplicate]\n"), std::string::npos) << out;
  pigeon->tryWrite("/quit\n");  // the sender may be gone already
  EXPECT_EQ(pigeon->wait(), 0);
}
