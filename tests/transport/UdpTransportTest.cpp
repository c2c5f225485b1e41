#include "transport/UdpTransport.h"

#include "transport/Endpoint.h"
#include "transport/TransportError.h"
#include "wire/Clock.h"
#include "wire/Codec.h"

#include <Poco/Net/DatagramSocket.h>

#include "TransportTestSupport.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

using namespace pigeon::transport;
using namespace pigeon::wire;
using Code = TransportError::Code;
using Kind = Incoming::Kind;
using Poco::Timespan;
using Poco::Net::DatagramSocket;
using Poco::Net::SocketAddress;
using Clock = std::chrono::steady_clock;
using pigeon::testing::dataHeader;
using pigeon::testing::kWait;
using pigeon::testing::receiveSomething;
using pigeon::testing::text;

namespace {

// A raw socket, standing in for nc -u or a Python script.
DatagramSocket rawSocket(const std::string& host) {
  DatagramSocket s(SocketAddress(host, 0).family());
  s.bind(SocketAddress(host, 0));
  return s;
}

std::string rawReceive(DatagramSocket& s) {
  if (!s.poll(kWait, Poco::Net::Socket::SELECT_READ)) return "<nothing>";
  char buffer[70000];
  SocketAddress from;
  const int n = s.receiveFrom(buffer, sizeof buffer, from);
  return std::string(buffer, static_cast<std::size_t>(n));
}

class UdpTransportTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::string host() const { return GetParam(); }
  SocketAddress any() const { return SocketAddress(host(), 0); }
  SocketAddress at(std::uint16_t port) const { return SocketAddress(host(), port); }
};

}  // namespace

INSTANTIATE_TEST_SUITE_P(Loopback, UdpTransportTest, ::testing::Values("127.0.0.1", "::1"),
                         [](const auto& param) { return param.param == "::1" ? "IPv6" : "IPv4"; });

TEST_P(UdpTransportTest, CarriesFramedMessagesBothWays) {
  auto server = UdpTransport::listen(any());
  EXPECT_FALSE(server->hasPeer());
  EXPECT_EQ(server->peerKind(), PeerKind::kUnknown);
  auto client = UdpTransport::connect(at(server->localAddress().port()));
  EXPECT_TRUE(client->hasPeer());
  EXPECT_EQ(client->name(), "udp");

  const Header sent = dataHeader(42, flags::kCrc);
  client->sendMessage(sent, asBytes("hello over udp"));
  const Incoming in = receiveSomething(*server);
  ASSERT_EQ(in.kind, Kind::kMessage);
  EXPECT_EQ(in.header.type, MessageType::kData);
  EXPECT_EQ(in.header.sequence, 42u);
  EXPECT_EQ(in.header.streamId, 5u);
  EXPECT_EQ(in.header.sendTimeNs, sent.sendTimeNs);
  EXPECT_EQ(in.header.payloadLength, 14u);
  EXPECT_EQ(text(in.payload), "hello over udp");
  EXPECT_EQ(in.from, client->localAddress());
  EXPECT_GE(in.arrivalNs, static_cast<std::int64_t>(sent.sendTimeNs));
  EXPECT_EQ(server->peerKind(), PeerKind::kPigeon);
  EXPECT_TRUE(server->hasPeer());
  EXPECT_EQ(server->peerAddress(), client->localAddress());

  server->sendMessage(dataHeader(1), asBytes("and back"));
  const Incoming reply = receiveSomething(*client);
  ASSERT_EQ(reply.kind, Kind::kMessage);
  EXPECT_EQ(text(reply.payload), "and back");
  EXPECT_EQ(client->peerKind(), PeerKind::kPigeon);
}

TEST_P(UdpTransportTest, KeepsEachDatagramAMessage) {
  auto server = UdpTransport::listen(any());
  auto client = UdpTransport::connect(at(server->localAddress().port()));
  for (std::uint64_t i = 0; i < 20; ++i) {
    client->sendMessage(dataHeader(i), asBytes(std::string(i, 'x')));  // 0 .. 19 bytes
  }
  for (std::uint64_t i = 0; i < 20; ++i) {
    const Incoming in = receiveSomething(*server);
    ASSERT_EQ(in.kind, Kind::kMessage) << i;
    EXPECT_EQ(in.header.sequence, i);
    EXPECT_EQ(in.payload.size(), i);
  }
}

TEST_P(UdpTransportTest, CarriesTheLargestPayloadAndRefusesOneByteMore) {
  auto server = UdpTransport::listen(any());
  auto client = UdpTransport::connect(at(server->localAddress().port()));
  EXPECT_EQ(client->maxPayload(), kMaxDatagramPayload);

  const Bytes largest(kMaxDatagramPayload, 0x33);
  client->sendMessage(dataHeader(1, flags::kCrc), largest);
  const Incoming in = receiveSomething(*server);
  ASSERT_EQ(in.kind, Kind::kMessage) << describe(in.error);
  EXPECT_EQ(in.payload, largest);

  try {
    client->sendMessage(dataHeader(2), Bytes(kMaxDatagramPayload + 1, 0));
    FAIL() << "sent a message too long for a datagram";
  } catch (const TransportError& e) {
    EXPECT_EQ(e.code(), Code::kMessageTooLong);
    EXPECT_NE(std::string(e.what()).find("message too long for a datagram"), std::string::npos);
  }
  try {
    client->sendPlain(Bytes(kMaxDatagramSize + 1, 'a'));
    FAIL() << "sent plain text too long for a datagram";
  } catch (const TransportError& e) {
    EXPECT_EQ(e.code(), Code::kMessageTooLong);
  }
}

TEST_P(UdpTransportTest, ReportsPlainTextAsPlainAndAnswersInKind) {
  auto server = UdpTransport::listen(any());
  DatagramSocket raw = rawSocket(host());
  raw.sendTo("hi there\n", 9, server->localAddress());

  const Incoming in = receiveSomething(*server);
  ASSERT_EQ(in.kind, Kind::kPlain);
  EXPECT_EQ(text(in.payload), "hi there\n");
  EXPECT_EQ(server->peerKind(), PeerKind::kPlain);
  EXPECT_EQ(server->peerAddress(), raw.address());

  server->sendPlain(asBytes("hello, nc"));
  EXPECT_EQ(rawReceive(raw), "hello, nc");
}

TEST_P(UdpTransportTest, TakesShortPrefixesOfTheMagicAsPlainText) {
  auto server = UdpTransport::listen(any());
  DatagramSocket raw = rawSocket(host());
  for (const std::string datagram : {"P", "PG", "PG\x02 hello"}) {
    raw.sendTo(datagram.data(), static_cast<int>(datagram.size()), server->localAddress());
    const Incoming in = receiveSomething(*server);
    ASSERT_EQ(in.kind, Kind::kPlain) << datagram;
    EXPECT_EQ(text(in.payload), datagram);
  }
}

TEST_P(UdpTransportTest, ReportsABrokenFrameAsMalformed) {
  auto server = UdpTransport::listen(any());
  DatagramSocket raw = rawSocket(host());
  Bytes frame = encode(dataHeader(1), asBytes("abc"));
  frame[7] = 1;  // reserved
  raw.sendTo(frame.data(), static_cast<int>(frame.size()), server->localAddress());
  const Incoming bad = receiveSomething(*server);
  ASSERT_EQ(bad.kind, Kind::kMalformed);
  EXPECT_EQ(bad.error, DecodeError::kBadReserved);

  Bytes truncated = encode(dataHeader(2), asBytes("abcdef"));
  truncated.resize(truncated.size() - 2);
  raw.sendTo(truncated.data(), static_cast<int>(truncated.size()), server->localAddress());
  const Incoming cut = receiveSomething(*server);
  ASSERT_EQ(cut.kind, Kind::kMalformed);
  EXPECT_EQ(cut.error, DecodeError::kLengthExceedsBuffer);

  // A good frame after bad ones still gets through.
  const Bytes good = encode(dataHeader(3), asBytes("ok"));
  raw.sendTo(good.data(), static_cast<int>(good.size()), server->localAddress());
  const Incoming ok = receiveSomething(*server);
  ASSERT_EQ(ok.kind, Kind::kMessage);
  EXPECT_EQ(text(ok.payload), "ok");
}

TEST_P(UdpTransportTest, AdoptsTheFirstSenderAsItsPeer) {
  auto server = UdpTransport::listen(any());
  DatagramSocket first = rawSocket(host());
  DatagramSocket second = rawSocket(host());
  first.sendTo("one", 3, server->localAddress());
  const Incoming in = receiveSomething(*server);
  ASSERT_EQ(in.kind, Kind::kPlain);
  EXPECT_EQ(in.from, first.address());
  EXPECT_EQ(server->peerAddress(), first.address());

  // A second sender is not the peer: its datagrams are not delivered.
  second.sendTo("intruder", 8, server->localAddress());
  first.sendTo("two", 3, server->localAddress());
  const Incoming next = receiveSomething(*server);
  ASSERT_EQ(next.kind, Kind::kPlain);
  EXPECT_EQ(text(next.payload), "two");
  EXPECT_EQ(server->peerAddress(), first.address());

  server->sendPlain(asBytes("to the first"));
  EXPECT_EQ(rawReceive(first), "to the first");
}

TEST_P(UdpTransportTest, WaitsOnForItsPeerWhenAStrangerSpeaks) {
  auto server = UdpTransport::listen(any());
  DatagramSocket peer = rawSocket(host());
  DatagramSocket stranger = rawSocket(host());
  peer.sendTo("hello", 5, server->localAddress());
  ASSERT_EQ(receiveSomething(*server).kind, Kind::kPlain);

  stranger.sendTo("noise", 5, server->localAddress());
  const auto start = Clock::now();
  EXPECT_EQ(server->receive(Timespan(0, 150'000)).kind, Kind::kTimeout);
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(140));
}

TEST_P(UdpTransportTest, CannotSendBeforeItHasAPeer) {
  auto server = UdpTransport::listen(any());
  try {
    server->sendMessage(dataHeader(1), asBytes("x"));
    FAIL() << "sent without a peer";
  } catch (const TransportError& e) {
    EXPECT_EQ(e.code(), Code::kOther);
    EXPECT_NE(std::string(e.what()).find("no peer"), std::string::npos);
  }
}

TEST_P(UdpTransportTest, TimesOutWhenNothingArrives) {
  auto server = UdpTransport::listen(any());
  const auto start = Clock::now();
  const Incoming in = server->receive(Timespan(0, 100'000));
  const auto elapsed = Clock::now() - start;
  EXPECT_EQ(in.kind, Kind::kTimeout);
  EXPECT_GE(elapsed, std::chrono::milliseconds(90));
  EXPECT_LT(elapsed, std::chrono::seconds(2));
}

TEST_P(UdpTransportTest, LearnsThatAConnectedPeerIsNotListening) {
  // A port that was just free: bind, note it, close.
  std::uint16_t port = 0;
  {
    DatagramSocket probe = rawSocket(host());
    port = probe.address().port();
  }
  auto client = UdpTransport::connect(at(port));
  const auto deadline = Clock::now() + std::chrono::seconds(3);
  std::string message;
  for (int i = 0; i < 50 && Clock::now() < deadline && message.empty(); ++i) {
    try {
      client->sendMessage(dataHeader(static_cast<std::uint64_t>(i)), asBytes("anyone?"));
      client->receive(Timespan(0, 50'000));
    } catch (const TransportError& e) {
      EXPECT_EQ(e.code(), Code::kConnectionRefused);
      message = e.what();
    }
  }
  EXPECT_NE(message.find("is not listening (ICMP port unreachable)"), std::string::npos)
      << "got: '" << message << "'";
  EXPECT_NE(message.find(formatAddress(at(port))), std::string::npos) << message;
}

TEST_P(UdpTransportTest, ReportsAPortInUse) {
  auto first = UdpTransport::listen(any());
  try {
    UdpTransport::listen(at(first->localAddress().port()));
    FAIL() << "bound a port in use";
  } catch (const TransportError& e) {
    EXPECT_EQ(e.code(), Code::kAddressInUse);
    EXPECT_NE(std::string(e.what()).find("address already in use"), std::string::npos);
  }
}

TEST(UdpTransport, AnIPv6WildcardAlsoHearsIPv4Peers) {
  auto server = UdpTransport::listen(SocketAddress("::", 0));
  auto client = UdpTransport::connect(SocketAddress("127.0.0.1", server->localAddress().port()));
  client->sendMessage(dataHeader(1), asBytes("v4 to v6"));
  const Incoming in = receiveSomething(*server);
  ASSERT_EQ(in.kind, Kind::kMessage);
  EXPECT_EQ(text(in.payload), "v4 to v6");
  EXPECT_EQ(formatAddress(server->peerAddress()), formatAddress(client->localAddress()));

  server->sendMessage(dataHeader(2), asBytes("and back"));
  const Incoming reply = receiveSomething(*client);
  ASSERT_EQ(reply.kind, Kind::kMessage);
  EXPECT_EQ(text(reply.payload), "and back");
}

TEST(UdpTransport, ReportsAnAddressNotOfThisHost) {
  try {
    UdpTransport::listen(SocketAddress("192.0.2.1", 0));  // TEST-NET-1
    FAIL() << "bound a foreign address";
  } catch (const TransportError& e) {
    EXPECT_EQ(e.code(), Code::kAddressNotAvailable);
    EXPECT_NE(std::string(e.what()).find("bind udp 192.0.2.1:0"), std::string::npos) << e.what();
  }
}
