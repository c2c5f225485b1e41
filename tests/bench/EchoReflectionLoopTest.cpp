// Two echoes made to bounce one datagram between them (issue 10, item 4):
// the bounce must die out within a handful of reflections. The spoofed
// sender needs a raw socket (root); without it those tests skip and say why.

#include "RunningEcho.h"
#include "bench/EchoReflector.h"
#include "wire/Codec.h"

#include <Poco/Net/DatagramSocket.h>
#include <Poco/Thread.h>

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

using namespace pigeon::bench;
using Poco::Net::SocketAddress;

namespace {

using pigeon::testing::RunningEcho;

// Sends `payload` to `to` as if it came from `from`, with a hand-built IPv4
// and UDP header (IP_HDRINCL). Empty if it was sent; otherwise why not.
std::string sendSpoofed(const SocketAddress& from, const SocketAddress& to,
                        const std::string& payload) {
  const int fd = ::socket(AF_INET, SOCK_RAW, IPPROTO_RAW);  // IPPROTO_RAW implies IP_HDRINCL
  if (fd < 0) return std::string("raw socket refused: ") + std::strerror(errno) + " (needs root)";
  const int on = 1;
  ::setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &on, sizeof on);
  std::string packet(sizeof(iphdr) + sizeof(udphdr) + payload.size(), '\0');
  auto* ip = reinterpret_cast<iphdr*>(packet.data());
  auto* udp = reinterpret_cast<udphdr*>(packet.data() + sizeof(iphdr));
  const auto* src = reinterpret_cast<const sockaddr_in*>(from.addr());
  const auto* dst = reinterpret_cast<const sockaddr_in*>(to.addr());
  ip->version = 4;
  ip->ihl = 5;
  ip->ttl = 64;
  ip->protocol = IPPROTO_UDP;
  ip->tot_len = htons(static_cast<std::uint16_t>(packet.size()));
  ip->saddr = src->sin_addr.s_addr;
  ip->daddr = dst->sin_addr.s_addr;  // the kernel fills in id and checksum
  udp->source = src->sin_port;
  udp->dest = dst->sin_port;
  udp->len = htons(static_cast<std::uint16_t>(sizeof(udphdr) + payload.size()));
  udp->check = 0;  // no UDP checksum: allowed over IPv4
  std::memcpy(packet.data() + sizeof(iphdr) + sizeof(udphdr), payload.data(), payload.size());
  const auto sent = ::sendto(fd, packet.data(), packet.size(), 0,
                             reinterpret_cast<const sockaddr*>(dst), sizeof(sockaddr_in));
  const int error = errno;
  ::close(fd);
  if (sent != static_cast<ssize_t>(packet.size())) {
    return std::string("raw send failed: ") + std::strerror(error);
  }
  return {};
}

std::uint64_t reflected(EchoReflector& echo) { return echo.counters().reflected; }

// Waits (bounded) until `echo` has reflected at least `n`.
bool waitForReflected(EchoReflector& echo, std::uint64_t n) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  for (int i = 0; i < 3000 && std::chrono::steady_clock::now() < deadline; ++i) {
    if (reflected(echo) >= n) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

// A loop that has not died out keeps both echoes at a full core, tens of
// thousands of reflections in this window; a dead one adds nothing.
void watchForLoop() { std::this_thread::sleep_for(std::chrono::milliseconds(300)); }

constexpr std::uint64_t kHandful = 6;

std::string reportFrame() {
  pigeon::wire::Header header;
  header.type = pigeon::wire::MessageType::kReport;
  const pigeon::wire::Bytes payload(8, 0);
  const auto bytes = pigeon::wire::encode(header, payload);
  return {bytes.begin(), bytes.end()};
}

}  // namespace

TEST(EchoReflectionLoop, PlainTextBetweenTwoEchoesDiesOut) {
  RunningEcho a;
  RunningEcho b;
  const std::string why = sendSpoofed(a->localAddress(), b->localAddress(), "bounce me\n");
  if (!why.empty()) GTEST_SKIP() << why;
  ASSERT_TRUE(waitForReflected(*b, 1)) << "the spoofed datagram never reached echo B";
  watchForLoop();
  const auto total = reflected(*a) + reflected(*b);
  EXPECT_LE(total, kHandful) << "A reflected " << reflected(*a) << ", B " << reflected(*b);
}

TEST(EchoReflectionLoop, ReportFrameBetweenTwoEchoesDiesOut) {
  RunningEcho a;
  RunningEcho b;
  const std::string why = sendSpoofed(a->localAddress(), b->localAddress(), reportFrame());
  if (!why.empty()) GTEST_SKIP() << why;
  ASSERT_TRUE(waitForReflected(*b, 1)) << "the spoofed report never reached echo B";
  watchForLoop();
  const auto total = reflected(*a) + reflected(*b);
  EXPECT_LE(total, kHandful) << "A reflected " << reflected(*a) << ", B " << reflected(*b);
}

TEST(EchoReflectionLoop, AnEchoSentToItselfStopsAtOnce) {
  RunningEcho a;
  const std::string why = sendSpoofed(a->localAddress(), a->localAddress(), "myself\n");
  if (!why.empty()) GTEST_SKIP() << why;
  ASSERT_TRUE(waitForReflected(*a, 1));
  watchForLoop();
  EXPECT_LE(reflected(*a), 2u);
}

TEST(EchoReflectionLoop, SourcesOnWellKnownPortsAreRefused) {
  RunningEcho b;
  // 7 echo, 13 daytime, 19 chargen, 37 time, 1023 the last privileged port.
  for (const std::uint16_t port : {7, 13, 19, 37, 1023}) {
    const std::string why =
        sendSpoofed(SocketAddress("127.0.0.1", port), b->localAddress(), "from a server port\n");
    if (!why.empty()) GTEST_SKIP() << why;
  }
  // A datagram from an ordinary port afterwards proves the others were read.
  Poco::Net::DatagramSocket client(SocketAddress("127.0.0.1", 0));
  client.sendTo("ok", 2, b->localAddress());
  ASSERT_TRUE(waitForReflected(*b, 1));
  watchForLoop();
  EXPECT_EQ(reflected(*b), 1u);
}

TEST(EchoReflectionLoop, APlainReplyThatComesBackIsNotAnsweredAgain) {
  // What one echo sees of a loop, without a raw socket: its own reply comes
  // straight back from where it went.
  RunningEcho echo;
  Poco::Net::DatagramSocket peer(SocketAddress("127.0.0.1", 0));
  peer.setReceiveTimeout(Poco::Timespan(2, 0));
  const std::string line = "ping\n";
  peer.sendTo(line.data(), static_cast<int>(line.size()), echo->localAddress());
  char buffer[64];
  SocketAddress from;
  ASSERT_EQ(peer.receiveFrom(buffer, sizeof buffer, from), static_cast<int>(line.size()));
  peer.sendTo(buffer, static_cast<int>(line.size()), echo->localAddress());  // reflected back
  peer.sendTo("other", 5, echo->localAddress());  // a new line is answered
  ASSERT_TRUE(waitForReflected(*echo, 2));
  watchForLoop();
  EXPECT_EQ(reflected(*echo), 2u);
}
