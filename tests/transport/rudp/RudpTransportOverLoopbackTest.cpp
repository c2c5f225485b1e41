// RudpTransport over real sockets on 127.0.0.1 (port 0): delivery with the
// sender's header fields, acknowledgements, close, flow control, and a peer
// that vanishes. Bounded in count and time; no sleeps as synchronisation.

#include "transport/Endpoint.h"
#include "transport/RudpTransport.h"
#include "transport/rudp/HandshakeResponder.h"
#include "transport/rudp/RudpAcceptor.h"
#include "transport/rudp/RudpCodec.h"
#include "wire/Clock.h"

#include <Poco/Net/DatagramSocket.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

namespace pigeon::transport {
namespace {

using rudp::RudpOptions;
using Clock = std::chrono::steady_clock;

const Poco::Net::SocketAddress kAnyLoopback("127.0.0.1", 0);

Poco::Net::SocketAddress loopbackOf(const Listener& l) {
  return Poco::Net::SocketAddress("127.0.0.1", l.localAddress().port());
}

wire::Header header(std::uint64_t sequence) {
  wire::Header h;
  h.type = wire::MessageType::kData;
  h.streamId = 42;
  h.sequence = 1'000'000 + sequence;  // the user's numbering, not rudp's
  h.sendTimeNs = 5'000 + sequence;
  return h;
}

wire::Bytes payload(std::uint64_t i) { return wire::Bytes(1 + (i * 37) % 1400, std::uint8_t(i)); }

TEST(RudpTransport, DeliversEveryMessageWithTheSendersHeaderFieldsAndConfirmsEach) {
  RudpOptions options;
  options.delivery = rudp::DeliveryMode::kUnordered;  // the listener follows the client
  rudp::RudpAcceptor listener(kAnyLoopback, {});
  auto client = RudpTransport::connect(loopbackOf(listener), Poco::Timespan(5, 0), options);
  auto server = listener.acceptRudp(Poco::Timespan(5, 0));
  ASSERT_TRUE(server);
  EXPECT_EQ(server->delivery(), rudp::DeliveryMode::kUnordered);
  EXPECT_EQ(server->peerKind(), PeerKind::kPigeon);

  constexpr std::uint64_t kMessages = 2000;
  std::atomic<std::uint64_t> acked{0};
  client->setAckedHandler([&](const rudp::AckedMessage& m) {
    if (m.streamId == 42 && m.sequence >= 1'000'000) ++acked;
  });
  std::thread sender([&] {
    for (std::uint64_t i = 0; i < kMessages; ++i) client->sendMessage(header(i), payload(i));
  });
  std::vector<bool> seen(kMessages, false);
  std::uint64_t received = 0;
  const auto giveUp = Clock::now() + std::chrono::seconds(20);
  while (received < kMessages && Clock::now() < giveUp) {
    const Incoming in = server->receive(Poco::Timespan(1, 0));
    if (in.kind != Incoming::Kind::kMessage) continue;
    const std::uint64_t i = in.header.sequence - 1'000'000;
    ASSERT_LT(i, kMessages);
    EXPECT_FALSE(seen[i]);
    seen[i] = true;
    EXPECT_EQ(in.header.streamId, 42u);
    EXPECT_EQ(in.header.sendTimeNs, 5'000 + i);
    EXPECT_EQ(in.payload, payload(i));
    ++received;
  }
  sender.join();
  EXPECT_EQ(received, kMessages);
  EXPECT_TRUE(client->flush(Poco::Timespan(5, 0)));

  client->close(Poco::Timespan(5, 0));
  EXPECT_EQ(server->receive(Poco::Timespan(5, 0)).kind, Incoming::Kind::kClosed);
  EXPECT_EQ(acked.load(), kMessages);  // dispatched before close() returned
  const rudp::RudpCounters c = client->counters();
  EXPECT_GE(c.messagesSent, kMessages);
  EXPECT_GT(c.srttUs, 0);
}

TEST(RudpTransport, ConnectingToAPortWhereNobodyListensFailsAsRefused) {
  Poco::Net::DatagramSocket placeholder(kAnyLoopback);  // a port surely free once closed
  const auto address = Poco::Net::SocketAddress("127.0.0.1", placeholder.address().port());
  placeholder.close();
  try {
    RudpTransport::connect(address, Poco::Timespan(3, 0));
    FAIL() << "connected to nobody";
  } catch (const TransportError& e) {
    EXPECT_EQ(e.code(), TransportError::Code::kConnectionRefused) << e.what();
  }
}

TEST(RudpTransport, ConnectingToAPortThatNeverAnswersTimesOutSayingSo) {
  Poco::Net::DatagramSocket mute(kAnyLoopback);  // bound, so no ICMP; never answers
  const auto address = Poco::Net::SocketAddress("127.0.0.1", mute.address().port());
  const auto start = Clock::now();
  try {
    RudpTransport::connect(address, Poco::Timespan(0, 300'000));
    FAIL() << "connected to a mute port";
  } catch (const TransportError& e) {
    EXPECT_EQ(e.code(), TransportError::Code::kTimedOut);
    EXPECT_EQ(std::string(e.what()), "rudp: no answer to connect from " + formatAddress(address) +
                                         " within 300 ms; is a pigeon rudp listener there?");
  }
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(2));
}

TEST(RudpTransport, SendingBlocksWhileTheReceiverDoesNotReadThenTimesOut) {
  RudpOptions options;
  options.receiveWindowMessages = 4;
  options.sendTimeoutMs = 200;
  rudp::RudpAcceptor listener(kAnyLoopback, options);
  auto client = RudpTransport::connect(loopbackOf(listener), Poco::Timespan(5, 0), options);
  auto server = listener.acceptRudp(Poco::Timespan(5, 0));
  ASSERT_TRUE(server);
  int sent = 0;
  try {
    for (; sent < 100; ++sent) client->sendMessage(header(sent), payload(sent));
    FAIL() << "the window never closed";
  } catch (const TransportError& e) {
    EXPECT_EQ(e.code(), TransportError::Code::kTimedOut) << e.what();
  }
  EXPECT_EQ(sent, 4);  // exactly the peer's window
  // Reading reopens the window.
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(server->receive(Poco::Timespan(2, 0)).kind, Incoming::Kind::kMessage);
  }
  client->sendMessage(header(4), payload(4));
  EXPECT_EQ(server->receive(Poco::Timespan(2, 0)).header.sequence, header(4).sequence);
}

// A peer that completes the handshake by hand, then can go silent (socket
// open, nothing answered) or vanish (socket closed).
class HandshakeOnlyPeer {
 public:
  HandshakeOnlyPeer()
      : socket_(kAnyLoopback),
        listener_(
            RudpOptions{}, rudp::CookieMinter::randomSecret(),
            [this](wire::ByteSpan d, const Poco::Net::SocketAddress& to) {
              socket_.sendTo(d.data(), static_cast<int>(d.size()), to);
            },
            [] { return std::uint64_t{77}; }) {}

  Poco::Net::SocketAddress address() const {
    return Poco::Net::SocketAddress("127.0.0.1", socket_.address().port());
  }

  // Answers the handshake; true once a connection was accepted.
  bool acceptOne() {
    wire::Bytes buffer(wire::kMaxDatagramSize);
    const auto giveUp = Clock::now() + std::chrono::seconds(5);
    while (Clock::now() < giveUp) {
      if (!socket_.poll(Poco::Timespan(0, 100'000), Poco::Net::Socket::SELECT_READ)) continue;
      Poco::Net::SocketAddress from;
      const int n = socket_.receiveFrom(buffer.data(), static_cast<int>(buffer.size()), from);
      const auto r = listener_.input(wire::ByteSpan(buffer).first(n), from, wire::steadyNowNs());
      if (r.accepted) {
        connection_ = std::make_unique<rudp::RudpConnection>(
            RudpOptions{}, *r.accepted,
            [this, from](wire::ByteSpan d) {
              socket_.sendTo(d.data(), static_cast<int>(d.size()), from);
            },
            wire::steadyNowNs());  // sends the Accept
        return true;
      }
    }
    return false;
  }

  void vanish() { socket_.close(); }

 private:
  Poco::Net::DatagramSocket socket_;
  rudp::HandshakeResponder listener_;
  std::unique_ptr<rudp::RudpConnection> connection_;
};

TEST(RudpTransport, APeerThatFallsSilentIsReportedWithinTheIdleTimeout) {
  HandshakeOnlyPeer peer;
  RudpOptions options;
  options.idleTimeoutMs = 400;
  options.keepaliveIntervalMs = 100;
  auto connecting = std::async(std::launch::async, [&] {
    return RudpTransport::connect(peer.address(), Poco::Timespan(5, 0), options);
  });
  ASSERT_TRUE(peer.acceptOne());
  auto client = connecting.get();

  const auto start = Clock::now();
  try {
    for (int i = 0; i < 50; ++i) client->receive(Poco::Timespan(0, 100'000));
    FAIL() << "the silent peer was not noticed";
  } catch (const TransportError& e) {
    EXPECT_EQ(e.code(), TransportError::Code::kTimedOut);
    EXPECT_NE(std::string(e.what()).find("went silent"), std::string::npos) << e.what();
  }
  const auto elapsedMs =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  EXPECT_GE(elapsedMs, 300);
  EXPECT_LT(elapsedMs, 1500);
  EXPECT_THROW(client->sendMessage(header(0), payload(0)), TransportError);
}

TEST(RudpTransport, APeerWhosePortClosedIsReportedAsGone) {
  HandshakeOnlyPeer peer;
  RudpOptions options;
  options.idleTimeoutMs = 5000;
  auto connecting = std::async(std::launch::async, [&] {
    return RudpTransport::connect(peer.address(), Poco::Timespan(5, 0), options);
  });
  ASSERT_TRUE(peer.acceptOne());
  auto client = connecting.get();
  peer.vanish();
  client->sendMessage(header(0), payload(0));  // draws an ICMP port unreachable
  try {
    for (int i = 0; i < 30; ++i) client->receive(Poco::Timespan(0, 100'000));
    FAIL() << "the vanished peer was not noticed";
  } catch (const TransportError& e) {
    EXPECT_EQ(e.code(), TransportError::Code::kPeerClosed) << e.what();
  }
}

}  // namespace
}  // namespace pigeon::transport
