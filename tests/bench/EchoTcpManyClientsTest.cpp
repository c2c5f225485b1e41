// The TCP echo under clients that hold connections open or never read
// (issue 10, items 1 and 2).

#include "bench/EchoReflector.h"

#include <Poco/Net/StreamSocket.h>
#include <Poco/Thread.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <vector>

using namespace pigeon::bench;
using Poco::Net::SocketAddress;
using Poco::Net::StreamSocket;

namespace {

// Reads until `want` bytes came or 2 s passed.
std::string readSome(StreamSocket& s, std::size_t want) {
  s.setReceiveTimeout(Poco::Timespan(2, 0));
  std::string got;
  char buffer[256];
  for (int i = 0; i < 100 && got.size() < want; ++i) {
    int n = 0;
    try {
      n = s.receiveBytes(buffer, sizeof buffer);
    } catch (const Poco::TimeoutException&) {
      break;
    }
    if (n <= 0) break;
    got.append(buffer, static_cast<std::size_t>(n));
  }
  return got;
}

}  // namespace

TEST(EchoTcp, IdleConnectionsDoNotLockOthersOut) {
  EchoOptions options;
  options.maxConnectionsPerSource = 2000;  // all from 127.0.0.1 here
  EchoReflector echo(pigeon::transport::TransportKind::kTcp, SocketAddress("127.0.0.1", 0),
                     options);
  std::atomic<bool> stop{false};
  Poco::Thread thread("test-echo");
  thread.startFunc([&] { echo.run(stop); });
  std::vector<std::unique_ptr<StreamSocket>> idle;
  for (int i = 0; i < 1000; ++i) {  // the issue asks for at least 1,000 at once
    idle.push_back(std::make_unique<StreamSocket>(echo.localAddress()));
  }
  StreamSocket client(echo.localAddress());
  client.sendBytes("hello\n", 6);
  EXPECT_EQ(readSome(client, 6), "hello\n");
  stop = true;
  thread.join();
  EXPECT_EQ(echo.counters().refused, 0u);
}

TEST(EchoTcp, OneAddressCannotTakeEveryConnection) {
  EchoOptions options;
  options.maxConnectionsPerSource = 20;
  EchoReflector echo(pigeon::transport::TransportKind::kTcp, SocketAddress("127.0.0.1", 0),
                     options);
  std::atomic<bool> stop{false};
  Poco::Thread thread("test-echo");
  thread.startFunc([&] { echo.run(stop); });
  std::vector<std::unique_ptr<StreamSocket>> idle;
  for (int i = 0; i < 30; ++i) {
    idle.push_back(std::make_unique<StreamSocket>(echo.localAddress()));
  }
  // Another address (all of 127/8 is loopback) is still served.
  StreamSocket client(SocketAddress::IPv4);
  client.impl()->bind(SocketAddress("127.0.0.2", 0), false);
  client.connect(echo.localAddress());
  client.sendBytes("hello\n", 6);
  EXPECT_EQ(readSome(client, 6), "hello\n");
  stop = true;
  thread.join();
  EXPECT_EQ(echo.counters().refused, 10u);
}

TEST(EchoTcp, AnIdleConnectionIsClosedAfterTheTimeout) {
  EchoOptions options;
  options.idleTimeoutNs = 100'000'000;
  EchoReflector echo(pigeon::transport::TransportKind::kTcp, SocketAddress("127.0.0.1", 0),
                     options);
  std::atomic<bool> stop{false};
  Poco::Thread thread("test-echo");
  thread.startFunc([&] { echo.run(stop); });
  StreamSocket idle(echo.localAddress());
  // The echo closes it: the read ends with 0 bytes well before 2 s.
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(readSome(idle, 1), "");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  stop = true;
  thread.join();
  EXPECT_EQ(echo.counters().closedIdle, 1u);
}

TEST(EchoTcp, StopsWithinASecondWhileAClientNeverReads) {
  EchoReflector echo(pigeon::transport::TransportKind::kTcp, SocketAddress("127.0.0.1", 0));
  std::atomic<bool> stop{false};
  auto done = std::async(std::launch::async, [&] { echo.run(stop); });
  StreamSocket hog(echo.localAddress());
  hog.setReceiveBufferSize(4096);
  // Plain text keeps coming back; never read, it fills both directions.
  const std::string chunk(64 * 1024, 'x');
  hog.setSendTimeout(Poco::Timespan(0, 200'000));
  for (int i = 0; i < 400; ++i) {
    try {
      hog.sendBytes(chunk.data(), static_cast<int>(chunk.size()));
    } catch (const Poco::Exception&) {
      break;  // our own send buffer is full: the echo stopped reading
    }
  }
  const auto start = std::chrono::steady_clock::now();
  stop = true;
  const bool stopped = done.wait_for(std::chrono::seconds(1)) == std::future_status::ready;
  const double tookS =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  hog.close();  // frees a server still stuck in send, so the test ends either way
  done.wait();
  EXPECT_TRUE(stopped) << "took " << tookS << " s";
}
