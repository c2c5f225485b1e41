// The echo's per-source limit is per address (IPv6: per /64), not per port,
// and its tables stay bounded whatever the number of sources (issue 10,
// item 5).

#include "RunningEcho.h"
#include "bench/EchoReflector.h"
#include "bench/SourceKey.h"

#include <Poco/Net/DatagramSocket.h>
#include <Poco/Thread.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace pigeon::bench;
using Poco::Net::SocketAddress;

namespace {

using pigeon::testing::RunningEcho;

// Waits (bounded) until the echo has dealt with `n` datagrams one way or
// another: answered or dropped for its rate.
bool waitForHandled(RunningEcho& echo, std::uint64_t n) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (int i = 0; i < 5000 && std::chrono::steady_clock::now() < deadline; ++i) {
    const auto c = echo->counters();
    if (c.reflected + c.rateLimited >= n) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

// Each of `sockets` sends `each` datagrams, all different (a repeated one
// could be taken for a reply coming back).
std::uint64_t sendFrom(std::vector<std::unique_ptr<Poco::Net::DatagramSocket>>& sockets, int each,
                       const SocketAddress& to) {
  std::uint64_t sent = 0;
  for (int k = 0; k < each; ++k) {
    for (std::size_t s = 0; s < sockets.size(); ++s) {
      const std::string line = "line " + std::to_string(s) + " " + std::to_string(k) + "\n";
      sockets[s]->sendTo(line.data(), static_cast<int>(line.size()), to);
      ++sent;
    }
  }
  return sent;
}

std::vector<std::unique_ptr<Poco::Net::DatagramSocket>> socketsOn(const std::string& host,
                                                                  int count) {
  std::vector<std::unique_ptr<Poco::Net::DatagramSocket>> sockets;
  for (int i = 0; i < count; ++i) {
    sockets.push_back(std::make_unique<Poco::Net::DatagramSocket>(SocketAddress(host, 0)));
  }
  return sockets;
}

constexpr double kRatePerS = 100;
constexpr double kBurst = kRatePerS / 10 + 64;  // what a bucket saves up (EchoReflector)

}  // namespace

TEST(EchoSourceLimit, ManyPortsOfOneAddressShareOneLimit) {
  EchoOptions options;
  options.maxRatePerSource = kRatePerS;
  RunningEcho echo(options);
  auto sockets = socketsOn("127.0.0.1", 50);
  const auto start = std::chrono::steady_clock::now();
  const std::uint64_t sent = sendFrom(sockets, 20, echo->localAddress());
  ASSERT_TRUE(waitForHandled(echo, sent));
  const double elapsedS =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto c = echo->counters();
  // 1,000 datagrams from 50 ports: per port each would be under the limit.
  EXPECT_LE(static_cast<double>(c.reflected), kBurst + kRatePerS * elapsedS + 1)
      << "in " << elapsedS << " s";
  EXPECT_GT(c.rateLimited, 0u);
}

TEST(EchoSourceLimit, EachAddressHasALimitOfItsOwn) {
  EchoOptions options;
  options.maxRatePerSource = kRatePerS;
  RunningEcho echo(options);
  // The whole of 127/8 is loopback: two client addresses on one host.
  auto first = socketsOn("127.0.0.2", 1);
  auto second = socketsOn("127.0.0.3", 1);
  const std::uint64_t sent =
      sendFrom(first, 100, echo->localAddress()) + sendFrom(second, 100, echo->localAddress());
  ASSERT_TRUE(waitForHandled(echo, sent));
  // Both got their own burst: more than one address's worth in all.
  EXPECT_GE(echo->counters().reflected, static_cast<std::uint64_t>(2 * (kBurst - 1)));
}

TEST(EchoSourceLimit, AGlobalBudgetCapsAllAddressesTogether) {
  EchoOptions options;
  options.maxRatePerSource = 1e6;
  options.maxRateTotal = kRatePerS;
  RunningEcho echo(options);
  auto first = socketsOn("127.0.0.2", 1);
  auto second = socketsOn("127.0.0.3", 1);
  const auto start = std::chrono::steady_clock::now();
  const std::uint64_t sent =
      sendFrom(first, 200, echo->localAddress()) + sendFrom(second, 200, echo->localAddress());
  ASSERT_TRUE(waitForHandled(echo, sent));
  const double elapsedS =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LE(static_cast<double>(echo->counters().reflected), kBurst + kRatePerS * elapsedS + 1);
}

TEST(EchoSourceLimit, TheTableOfSourcesStaysBounded) {
  EchoOptions options;
  options.maxSources = 16;
  RunningEcho echo(options);
  auto sockets = socketsOn("127.0.0.1", 100);
  const std::uint64_t sent = sendFrom(sockets, 1, echo->localAddress());
  ASSERT_TRUE(waitForHandled(echo, sent));
  EXPECT_LE(echo->sourcesHeld(), 16u);
  EXPECT_EQ(echo->counters().peers, 100u);
}

// A source that comes back after the table evicted it is the same source:
// `peers` counts each address and port once (bench/echo-load's 10,000
// sources were counted 29,502 times through a 1,024-entry table).
TEST(EchoSourceLimit, ASourceEvictedAndBackIsCountedOnce) {
  EchoOptions options;
  options.maxSources = 16;
  RunningEcho echo(options);
  auto sockets = socketsOn("127.0.0.1", 40);
  // Three rounds over 40 sockets through 16 entries: each one is evicted
  // before it sends again.
  const std::uint64_t sent = sendFrom(sockets, 3, echo->localAddress());
  ASSERT_TRUE(waitForHandled(echo, sent));
  EXPECT_LE(echo->sourcesHeld(), 16u);
  const auto c = echo->counters();
  EXPECT_EQ(c.peers, 40u);
  EXPECT_FALSE(c.peersAtLeast);
}

TEST(SourceKey, LimitsPerAddressAndPerIpv6Slash64) {
  EXPECT_EQ(SourceKey::rateLimited(SocketAddress("127.0.0.1", 4000)),
            SourceKey::rateLimited(SocketAddress("127.0.0.1", 5000)));
  EXPECT_NE(SourceKey::rateLimited(SocketAddress("127.0.0.1", 4000)),
            SourceKey::rateLimited(SocketAddress("127.0.0.2", 4000)));
  EXPECT_EQ(SourceKey::rateLimited(SocketAddress("2001:db8::1", 4000)),
            SourceKey::rateLimited(SocketAddress("2001:db8::ffff:1234:1", 5000)));
  EXPECT_NE(SourceKey::rateLimited(SocketAddress("2001:db8::1", 4000)),
            SourceKey::rateLimited(SocketAddress("2001:db8:0:1::1", 4000)));
  // A dual-stack socket sees IPv4 clients as ::ffff:a.b.c.d: the same source.
  EXPECT_EQ(SourceKey::rateLimited(SocketAddress("::ffff:127.0.0.1", 4000)),
            SourceKey::rateLimited(SocketAddress("127.0.0.1", 4000)));
  EXPECT_EQ(SourceKey::endpoint(SocketAddress("::ffff:127.0.0.1", 4000)),
            SourceKey::endpoint(SocketAddress("127.0.0.1", 4000)));
  EXPECT_NE(SourceKey::endpoint(SocketAddress("127.0.0.1", 4000)),
            SourceKey::endpoint(SocketAddress("127.0.0.1", 4001)));
}

TEST(SourceKey, ServerPortsAreThoseBelow1024) {
  for (const std::uint16_t port : {0, 7, 9, 13, 17, 19, 37, 53, 123, 1023}) {
    EXPECT_TRUE(SourceKey::isServerPort(port)) << port;
  }
  EXPECT_FALSE(SourceKey::isServerPort(1024));
  EXPECT_FALSE(SourceKey::isServerPort(40000));
}
