// The rudp echo serves many connections at once on its one socket (issue
// 10, item 3): a client that holds its connection open, or one that only
// sends Connect and the returned Cookie, locks no one out; a full table is
// said and counted; a connection that sends nothing is closed after the
// idle timeout. Loopback, port 0, bounded in time.

#include "bench/EchoReflector.h"
#include "transport/TransportFactory.h"
#include "transport/rudp/RudpCodec.h"
#include "wire/Clock.h"

#include <gtest/gtest.h>

#include <Poco/Net/DatagramSocket.h>
#include <Poco/Thread.h>

#include <atomic>
#include <chrono>
#include <memory>

namespace pigeon::bench {
namespace {

using transport::Incoming;
using transport::TransportKind;
using Clock = std::chrono::steady_clock;

const Poco::Timespan kWait(3, 0);

class RunningRudpEcho {
 public:
  explicit RunningRudpEcho(EchoOptions options = {})
      : echo_(TransportKind::kRudp, Poco::Net::SocketAddress("127.0.0.1", 0), options),
        thread_("test-rudp-echo") {
    thread_.startFunc([this] { echo_.run(stop_); });
  }
  ~RunningRudpEcho() {
    stop_ = true;
    thread_.join();
  }
  Poco::Net::SocketAddress address() const {
    return Poco::Net::SocketAddress("127.0.0.1", echo_.localAddress().port());
  }
  EchoReflector& operator*() { return echo_; }

 private:
  EchoReflector echo_;
  std::atomic<bool> stop_{false};
  Poco::Thread thread_;
};

wire::Header probe(std::uint64_t sequence) {
  wire::Header h;
  h.type = wire::MessageType::kEcho;
  h.sequence = sequence;
  return h;
}

// One probe over a fresh connection; true when its reply came back.
bool probeOnce(transport::Transport& client, std::uint64_t sequence) {
  client.sendMessage(probe(sequence), wire::Bytes(32, 0));
  const Incoming in = client.receive(kWait);
  return in.kind == Incoming::Kind::kMessage && in.header.type == wire::MessageType::kEchoReply &&
         in.header.sequence == sequence;
}

TEST(EchoRudp, AClientHoldingItsConnectionLocksNoOneOut) {
  RunningRudpEcho echo;
  auto first = transport::connectTo(TransportKind::kRudp, echo.address(), {}, kWait);
  ASSERT_TRUE(probeOnce(*first, 1));
  // The first client stays connected (its I/O thread answers keepalives)
  // while a second one comes, and is served at once.
  const auto start = Clock::now();
  auto second = transport::connectTo(TransportKind::kRudp, echo.address(), {}, kWait);
  EXPECT_TRUE(probeOnce(*second, 2));
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(1));
  EXPECT_TRUE(probeOnce(*first, 3));  // and the first is still served
  EXPECT_EQ((*echo).counters().peers, 2u);
}

TEST(EchoRudp, AHalfOpenHandshakeLocksNoOneOut) {
  RunningRudpEcho echo;
  // Two datagrams by hand: Connect, then the Cookie of the Challenge; the
  // connection exists at the echo, and this client never says more.
  Poco::Net::DatagramSocket raw(Poco::Net::SocketAddress("127.0.0.1", 0));
  raw.setReceiveTimeout(kWait);
  const transport::rudp::Hello hello{0x1234, transport::rudp::ArqScheme::kSelectiveRepeat,
                                     transport::rudp::DeliveryMode::kOrdered, 1, 64};
  wire::Bytes out;
  transport::rudp::appendConnect(hello, wire::steadyNowNs(), out);
  raw.sendTo(out.data(), static_cast<int>(out.size()), echo.address());
  wire::Bytes in(2048);
  Poco::Net::SocketAddress from;
  const int n = raw.receiveFrom(in.data(), static_cast<int>(in.size()), from);
  wire::Frame frame;
  ASSERT_TRUE(transport::rudp::decodeRudpDatagram(wire::ByteSpan(in).first(n), frame).taken());
  std::uint32_t id = 0;
  transport::rudp::Cookie cookie{};
  ASSERT_EQ(transport::rudp::parseChallenge(frame.payload, id, cookie),
            transport::rudp::DropReason::kNone);
  out.clear();
  transport::rudp::appendCookie(hello, cookie, wire::steadyNowNs(), out);
  raw.sendTo(out.data(), static_cast<int>(out.size()), echo.address());
  ASSERT_GT(raw.receiveFrom(in.data(), static_cast<int>(in.size()), from), 0);  // the Accept

  const auto start = Clock::now();
  auto client = transport::connectTo(TransportKind::kRudp, echo.address(), {}, kWait);
  EXPECT_TRUE(probeOnce(*client, 7));
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(1));
}

TEST(EchoRudp, AFullEchoRefusesTheNewestAndSaysSo) {
  EchoOptions options;
  options.maxRudpConnections = 2;
  RunningRudpEcho echo(options);
  auto a = transport::connectTo(TransportKind::kRudp, echo.address(), {}, kWait);
  auto b = transport::connectTo(TransportKind::kRudp, echo.address(), {}, kWait);
  ASSERT_TRUE(probeOnce(*a, 1));
  ASSERT_TRUE(probeOnce(*b, 2));
  EXPECT_THROW(
      transport::connectTo(TransportKind::kRudp, echo.address(), {}, Poco::Timespan(0, 400'000)),
      transport::TransportError);
  const auto giveUp = Clock::now() + std::chrono::seconds(2);
  while ((*echo).counters().refused == 0 && Clock::now() < giveUp) Poco::Thread::sleep(10);
  EXPECT_GE((*echo).counters().refused, 1u);
  // One leaves: the next is served.
  a->close();
  const auto start = Clock::now();
  std::unique_ptr<transport::Transport> c;
  while (!c && Clock::now() - start < std::chrono::seconds(3)) {
    try {
      c = transport::connectTo(TransportKind::kRudp, echo.address(), {},
                               Poco::Timespan(0, 300'000));
    } catch (const transport::TransportError&) {
      // the slot frees once the echo has seen the close
    }
  }
  ASSERT_TRUE(c);
  EXPECT_TRUE(probeOnce(*c, 3));
}

TEST(EchoRudp, AConnectionThatSendsNothingIsClosedAfterTheIdleTimeout) {
  EchoOptions options;
  options.idleTimeoutNs = 300'000'000;
  RunningRudpEcho echo(options);
  auto client = transport::connectTo(TransportKind::kRudp, echo.address(), {}, kWait);
  ASSERT_TRUE(probeOnce(*client, 1));
  const auto start = Clock::now();
  Incoming in;
  while (in.kind != Incoming::Kind::kClosed && Clock::now() - start < std::chrono::seconds(3)) {
    in = client->receive(Poco::Timespan(0, 100'000));
  }
  EXPECT_EQ(in.kind, Incoming::Kind::kClosed);
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(200));
  EXPECT_EQ((*echo).counters().closedIdle, 1u);
}

}  // namespace
}  // namespace pigeon::bench
