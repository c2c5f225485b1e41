#include "ChildProcess.h"

#include <Poco/Net/DatagramSocket.h>
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

using pigeon::testing::ChildProcess;
using Poco::Net::DatagramSocket;
using Poco::Net::SocketAddress;

namespace {

constexpr int kExitUsage = 64;

// Whether every thread of process `pid` shows the stopped state ('T' in
// /proc/PID/task/TID/stat), waiting up to 2 s: kill(SIGSTOP) returns before
// the threads have stopped, and a relay thread still running reads what
// was meant to overflow its socket.
bool waitUntilStopped(int pid) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (std::chrono::steady_clock::now() < until) {
    bool all = true;
    std::error_code error;
    for (const auto& task :
         std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", error)) {
      std::ifstream stat(task.path() / "stat");
      std::string line;
      std::getline(stat, line);
      const auto close = line.rfind(')');
      all = all && close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'T';
    }
    if (all && !error) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // bounded above
  }
  return false;
}

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

TEST(LinkCommand, CountsWhatItsOwnSocketBufferDroppedWhileItWasStopped) {
  DatagramSocket target(SocketAddress("127.0.0.1", 0));
  ChildProcess link({PIGEON_BINARY, "link", "--listen", "0", "--bind", "127.0.0.1", "--forward",
                     target.address().toString(), "seed=1"});
  const int port = link.listeningPort("* link: listening on ");
  ASSERT_NE(port, 0) << link.err();
  const SocketAddress relay("127.0.0.1", static_cast<Poco::UInt16>(port));
  DatagramSocket client(SocketAddress("127.0.0.1", 0));
  std::vector<char> buffer(2048);
  SocketAddress from;
  const auto arrives = [&](const std::string& text) {
    for (int tries = 0; tries < 50; ++tries) {
      client.sendTo(text.data(), static_cast<int>(text.size()), relay);
      while (target.poll(Poco::Timespan(0, 100'000), Poco::Net::Socket::SELECT_READ)) {
        const int n = target.receiveFrom(buffer.data(), static_cast<int>(buffer.size()), from);
        if (std::string(buffer.data(), static_cast<std::size_t>(n)) == text) return tries + 1;
      }
    }
    return 0;
  };
  const int firstTries = arrives("first");
  ASSERT_GT(firstTries, 0);

  // A stopped relay reads nothing: 24 MB sent to it overflow its socket's
  // receive buffer (8 MiB), and the kernel drops the rest.
  link.signal(SIGSTOP);
  ASSERT_TRUE(waitUntilStopped(link.pid()));
  constexpr int kFlood = 3000;
  const std::string payload(8000, 'x');
  for (int i = 0; i < kFlood; ++i) {
    client.sendTo(payload.data(), static_cast<int>(payload.size()), relay);
  }
  link.signal(SIGCONT);
  const int lastTries = arrives("last");  // the relay keeps order: all before it are read
  ASSERT_GT(lastTries, 0);
  link.signal(SIGTERM);
  ASSERT_EQ(link.wait(), 0);

  const auto field = [&](const std::string& line, const std::string& name) -> long long {
    const auto at = link.err().find(line);
    if (at == std::string::npos) return -1;
    const auto end = link.err().find('\n', at);
    const auto key = link.err().find(" " + name + "=", at);
    if (key == std::string::npos || key > end) return -1;
    return std::stoll(link.err().substr(key + name.size() + 2));
  };
  const long long received = field("* link: up: ", "received");
  const long long drops = field("* link: up: ", "socket-drops");
  EXPECT_GT(drops, 0) << link.err();
  EXPECT_EQ(received + drops, firstTries + kFlood + lastTries) << link.err();
  EXPECT_EQ(field("* link: down: ", "socket-drops"), 0) << link.err();
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
