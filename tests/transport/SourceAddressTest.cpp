// The one source-address comparison, the one datagram classification and the
// one UDP error message that every UDP user of the transport layer shares.

#include "transport/DatagramKinds.h"
#include "transport/SocketErrors.h"
#include "transport/SourceAddress.h"
#include "wire/Codec.h"

#include <gtest/gtest.h>

#include <netinet/in.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace {

namespace transport = pigeon::transport;
namespace wire = pigeon::wire;
using transport::SourceAddress;

TEST(SourceAddress, IsTheSameForTheSameAddressAndPortWhateverThePadding) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(4000);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sockaddr_in b = a;
  std::memset(b.sin_zero, 0xAB, sizeof b.sin_zero);  // what a kernel may leave there
  EXPECT_EQ(SourceAddress(reinterpret_cast<sockaddr*>(&a), sizeof a),
            SourceAddress(reinterpret_cast<sockaddr*>(&b), sizeof b));
  EXPECT_EQ(SourceAddress(reinterpret_cast<sockaddr*>(&a), sizeof a),
            SourceAddress(Poco::Net::SocketAddress("127.0.0.1", 4000)));
}

TEST(SourceAddress, TellsPortsApartButKnowsTheyShareAHost) {
  const SourceAddress one(Poco::Net::SocketAddress("127.0.0.1", 4000));
  const SourceAddress other(Poco::Net::SocketAddress("127.0.0.1", 4001));
  EXPECT_FALSE(one == other);
  EXPECT_TRUE(one.sameHost(other));
  EXPECT_FALSE(one.sameHost(SourceAddress(Poco::Net::SocketAddress("127.0.0.2", 4000))));
}

TEST(SourceAddress, NeverMatchesAcrossFamiliesOrWhenEmpty) {
  const SourceAddress v4(Poco::Net::SocketAddress("127.0.0.1", 4000));
  const SourceAddress v6(Poco::Net::SocketAddress("::1", 4000));
  EXPECT_FALSE(v4 == v6);
  EXPECT_FALSE(v4.sameHost(v6));
  EXPECT_TRUE(v6 == SourceAddress(Poco::Net::SocketAddress("[::1]:4000")));
  EXPECT_FALSE(SourceAddress() == SourceAddress());
  EXPECT_TRUE(SourceAddress().empty());
}

TEST(SourceAddress, GivesBackTheAddressItWasMadeFrom) {
  const Poco::Net::SocketAddress address("[::1]:9000");
  EXPECT_EQ(SourceAddress(address).toSocketAddress(), address);
}

TEST(ClassifyDatagram, TellsAFrameFromPlainTextFromABrokenFrame) {
  wire::Header h;
  h.type = wire::MessageType::kData;
  h.sequence = 7;
  const std::string text = "hello";
  wire::Bytes frame;
  wire::appendFrame(h, wire::ByteSpan(reinterpret_cast<const std::uint8_t*>(text.data()), 5),
                    frame);

  const auto message = transport::classifyDatagram(frame);
  ASSERT_EQ(message.kind, transport::Incoming::Kind::kMessage);
  EXPECT_EQ(message.header.sequence, 7u);
  EXPECT_EQ(std::string(message.payload.begin(), message.payload.end()), text);

  const auto plain = transport::classifyDatagram(
      wire::ByteSpan(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
  EXPECT_EQ(plain.kind, transport::Incoming::Kind::kPlain);
  EXPECT_EQ(plain.payload.size(), text.size());

  const auto tiny = transport::classifyDatagram(wire::ByteSpan(frame).first(2));
  EXPECT_EQ(tiny.kind, transport::Incoming::Kind::kPlain);  // too short to claim anything

  const auto cut = transport::classifyDatagram(wire::ByteSpan(frame).first(frame.size() - 1));
  EXPECT_EQ(cut.kind, transport::Incoming::Kind::kMalformed);
  EXPECT_NE(cut.error, wire::DecodeError::kNone);
}

TEST(DatagramError, SaysAnIcmpPortUnreachableInWords) {
  const Poco::Net::SocketAddress peer("127.0.0.1", 9);
  const auto refused = transport::datagramError(ECONNREFUSED, peer, /*sending=*/true);
  EXPECT_EQ(refused.code(), transport::TransportError::Code::kConnectionRefused);
  EXPECT_STREQ(refused.what(), "udp peer 127.0.0.1:9 is not listening (ICMP port unreachable)");
  const auto unreachable = transport::datagramError(ENETUNREACH, peer, /*sending=*/false);
  EXPECT_NE(std::string(unreachable.what()).find("udp from 127.0.0.1:9"), std::string::npos);
}

}  // namespace
