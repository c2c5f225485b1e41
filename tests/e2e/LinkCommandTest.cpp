#include "ChildProcess.h"

#include <Poco/Net/DatagramSocket.h>
#include <gtest/gtest.h>

#include <csignal>
#include <string>

using pigeon::testing::ChildProcess;
using Poco::Net::DatagramSocket;
using Poco::Net::SocketAddress;

namespace {

constexpr int kExitUsage = 64;

}  // namespace

TEST(LinkCommand, RelaysUntilSigtermThenPrintsCountersAndExitsZero) {
  DatagramSocket target(SocketAddress("127.0.0.1", 0));
  ChildProcess link({PIGEON_BINARY, "link", "--listen", "0", "--bind", "127.0.0.1", "--forward",
                     target.address().toString(), "delay=5ms,seed=7"});
  const int port = link.listeningPort("* link: listening on ");
  ASSERT_NE(port, 0) << link.err();

  DatagramSocket client(SocketAddress("127.0.0.1", 0));
  client.sendTo("hello", 5, SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)));
  ASSERT_TRUE(target.poll(Poco::Timespan(5, 0), Poco::Net::Socket::SELECT_READ));
  char buffer[16] = {};
  SocketAddress from;
  EXPECT_EQ(target.receiveFrom(buffer, sizeof buffer, from), 5);
  EXPECT_EQ(std::string(buffer, 5), "hello");

  link.signal(SIGTERM);
  EXPECT_EQ(link.wait(), 0);
  EXPECT_NE(link.err().find("* link: up (client -> target): delay=5ms,seed=7"), std::string::npos)
      << link.err();
  EXPECT_NE(link.err().find("* link: up: received=1 sent=1 dropped=0"), std::string::npos)
      << link.err();
}

TEST(LinkCommand, RefusesABadSpecInOneLineNamingTheKey) {
  ChildProcess link({PIGEON_BINARY, "link", "--listen", "0", "--forward", "127.0.0.1:9", "los=5%"});
  EXPECT_EQ(link.wait(), kExitUsage);
  EXPECT_EQ(link.err().rfind("pigeon link: link spec: unknown key 'los'", 0), 0u) << link.err();
}

TEST(LinkCommand, RequiresWhereToListenAndWhereToForward) {
  ChildProcess noListen({PIGEON_BINARY, "link", "--forward", "127.0.0.1:9"});
  EXPECT_EQ(noListen.wait(), kExitUsage);
  EXPECT_NE(noListen.err().find("--listen PORT is required"), std::string::npos);
  ChildProcess noForward({PIGEON_BINARY, "link", "--listen", "0"});
  EXPECT_EQ(noForward.wait(), kExitUsage);
  EXPECT_NE(noForward.err().find("--forward HOST:PORT is required"), std::string::npos);
}
