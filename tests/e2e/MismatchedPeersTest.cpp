// End-to-end: peers that do not speak the same transport, and a connect
// that waits, say what is going on instead of waiting or ending silently.

#include "ChildProcess.h"

#include <gtest/gtest.h>

#include <csignal>
#include <string>

using pigeon::testing::ChildProcess;
using namespace std::chrono_literals;

TEST(MismatchedPeers, AUdpChatListenerSaysAnRudpPeerIsKnockingAndWhichFlagToUse) {
  ChildProcess listener(
      {PIGEON_BINARY, "chat", "-t", "udp", "--listen", "0", "--bind", "127.0.0.1"});
  const int port = listener.listeningPort("listening on udp ");
  ASSERT_GT(port, 0) << listener.err();
  ChildProcess rudp(
      {PIGEON_BINARY, "chat", "-t", "rudp", "--peer", "127.0.0.1:" + std::to_string(port)});
  // The connecting side shows it is connecting, at once, and its retries.
  EXPECT_TRUE(rudp.waitForStderr("* connecting to 127.0.0.1:" + std::to_string(port) + " over rudp",
                                 2000ms))
      << rudp.err();
  const auto code = listener.wait(5000ms);
  ASSERT_TRUE(code.has_value());
  EXPECT_NE(*code, 0);
  EXPECT_NE(listener.err().find("is knocking with rudp"), std::string::npos) << listener.err();
  EXPECT_NE(listener.err().find("listen with -t rudp"), std::string::npos) << listener.err();
  EXPECT_TRUE(rudp.waitForStderr("connect sent again (2 sent", 3000ms)) << rudp.err();
  rudp.signal(SIGTERM);
}

TEST(MismatchedPeers, AnRudpListenerSaysAUdpPeerIsKnockingAndTheUdpPeerDoesNotEndSilently) {
  ChildProcess listener(
      {PIGEON_BINARY, "chat", "-t", "rudp", "--listen", "0", "--bind", "127.0.0.1"});
  const int port = listener.listeningPort("listening on rudp ");
  ASSERT_GT(port, 0) << listener.err();
  ChildProcess udp(
      {PIGEON_BINARY, "chat", "-t", "udp", "--peer", "127.0.0.1:" + std::to_string(port)});
  udp.write("hello\n");
  udp.closeStdin();
  const auto code = udp.wait(5000ms);
  ASSERT_TRUE(code.has_value());
  EXPECT_NE(*code, 0) << udp.err();
  EXPECT_NE(udp.err().find("never answered over udp"), std::string::npos) << udp.err();
  // A silent `nc -u -l` ends the same way; the line names --plain for it.
  EXPECT_NE(udp.err().find("--plain"), std::string::npos) << udp.err();
  EXPECT_TRUE(listener.waitForStderr("is knocking with plain udp", 2000ms)) << listener.err();
  EXPECT_NE(listener.err().find("the peer needs -t rudp"), std::string::npos) << listener.err();
  listener.signal(SIGTERM);
}

TEST(MismatchedPeers, TcpToAPortWhereOnlyALinkListensSaysTheRelayCarriesUdpOnly) {
  ChildProcess link({PIGEON_BINARY, "link", "--listen", "0", "--bind", "127.0.0.1", "--forward",
                     "127.0.0.1:" + std::to_string(pigeon::testing::unusedPort(true))});
  const int port = link.listeningPort("* link: listening on ");
  ASSERT_GT(port, 0) << link.err();
  ChildProcess tcp(
      {PIGEON_BINARY, "chat", "-t", "tcp", "--peer", "127.0.0.1:" + std::to_string(port)});
  tcp.write("hello\n");
  const auto code = tcp.wait(5000ms);
  ASSERT_TRUE(code.has_value());
  EXPECT_NE(*code, 0);
  EXPECT_NE(tcp.err().find("relays UDP only"), std::string::npos) << tcp.err();
  EXPECT_EQ(tcp.err().find("\\n"), std::string::npos) << tcp.err();
  link.signal(SIGINT);
  EXPECT_EQ(link.wait(), 0) << link.err();
}

TEST(MismatchedPeers, AUdpEchoSaysAnRudpPeerIsKnockingAndWhereRudpIsServed) {
  ChildProcess echo({PIGEON_BINARY, "echo", "-t", "udp", "--listen", "0", "--bind", "127.0.0.1"});
  const int port = echo.listeningPort("serving udp on ");
  ASSERT_GT(port, 0) << echo.err();
  ChildProcess rudp(
      {PIGEON_BINARY, "chat", "-t", "rudp", "--peer", "127.0.0.1:" + std::to_string(port)});
  EXPECT_TRUE(echo.waitForStderr("is knocking with rudp", 3000ms)) << echo.err();
  EXPECT_NE(echo.err().find("pigeon echo -t rudp"), std::string::npos) << echo.err();
  // Its retries (one a second) are the same knock: told once, not each time.
  EXPECT_TRUE(rudp.waitForStderr("connect sent again (3 sent", 5000ms)) << rudp.err();
  rudp.signal(SIGTERM);
  echo.signal(SIGINT);
  EXPECT_EQ(echo.wait(), 0) << echo.err();
  std::size_t told = 0;
  for (std::size_t at = echo.err().find("is knocking with rudp"); at != std::string::npos;
       at = echo.err().find("is knocking with rudp", at + 1)) {
    ++told;
  }
  EXPECT_EQ(told, 1u) << echo.err();
}
