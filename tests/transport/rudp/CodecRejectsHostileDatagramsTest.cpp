// Every rudp datagram is size-checked before any field is read, and each
// kind of bad input has its own reason.

#include "transport/rudp/RudpCodec.h"
#include "transport/rudp/RudpConnection.h"
#include "wire/Codec.h"

#include <gtest/gtest.h>

#include <random>

namespace pigeon::transport::rudp {
namespace {

wire::Bytes ackDatagram(const AckPacket& ack) {
  wire::Bytes out;
  appendAck(ack, 5, out);
  return out;
}

AckPacket sampleAck() {
  AckPacket a;
  a.connectionId = 9;
  a.flags = ackflags::kEcho;
  a.cumulative = 100;
  a.window = 64;
  a.echoSequence = 104;
  a.echoTransmission = 7;
  a.ranges = {{2, 3}, {7, 1}};
  return a;
}

InputResult decode(wire::ByteSpan bytes) {
  wire::Frame frame;
  return decodeRudpDatagram(bytes, frame);
}

// A frame of `type` with `payload`, CRC on unless told.
wire::Bytes frameOf(wire::MessageType type, const wire::Bytes& payload, bool crc = true) {
  wire::Header h;
  h.type = type;
  h.flags = crc ? wire::flags::kCrc : 0;
  return wire::encode(h, payload);
}

TEST(RudpCodec, RoundTripsAnAckFieldByField) {
  const wire::Bytes bytes = ackDatagram(sampleAck());
  EXPECT_EQ(bytes.size(), wire::kHeaderSize + kAckFixedSize + 2 * kSackRangeSize + wire::kCrcSize);
  wire::Frame frame;
  ASSERT_TRUE(decodeRudpDatagram(bytes, frame).taken());
  AckPacket out;
  ASSERT_EQ(parseAck(frame.payload, out), DropReason::kNone);
  EXPECT_EQ(out.cumulative, 100u);
  EXPECT_EQ(out.window, 64u);
  EXPECT_EQ(out.echoSequence, 104u);
  EXPECT_EQ(out.echoTransmission, 7u);
  EXPECT_EQ(out.ranges, sampleAck().ranges);
}

TEST(RudpCodec, PutsTheUsersFieldsInThePigeonHeaderOfADataFrame) {
  wire::Bytes scratch;
  wire::Bytes out;
  const wire::Bytes user = {1, 2, 3};
  appendData({9, wire::MessageType::kEcho, 555, 3}, 42, 123456, 0xFFFFFFFFFFFFFFFFull, user,
             scratch, out);
  const wire::DecodeResult d = wire::decodeDatagram(out);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d.frame.header.type, wire::MessageType::kRudpData);
  EXPECT_TRUE(d.frame.header.hasCrc());
  EXPECT_EQ(d.frame.header.streamId, 42u);
  EXPECT_EQ(d.frame.header.sequence, 0xFFFFFFFFFFFFFFFFull);
  EXPECT_EQ(d.frame.header.sendTimeNs, 123456u);
  DataPrefix prefix;
  wire::ByteSpan payload;
  ASSERT_EQ(parseData(d.frame.payload, prefix, payload), DropReason::kNone);
  EXPECT_EQ(prefix.userType, wire::MessageType::kEcho);
  EXPECT_EQ(prefix.userSequence, 555u);
  EXPECT_EQ(prefix.transmissionId, 3u);
  EXPECT_EQ(wire::Bytes(payload.begin(), payload.end()), user);
}

TEST(RudpCodec, GivesEachKindOfBadDatagramItsOwnReason) {
  const wire::Bytes good = ackDatagram(sampleAck());
  const wire::Bytes garbage = {'h', 'e', 'l', 'l', 'o', '\n'};
  EXPECT_EQ(decode(garbage),
            (InputResult{DropReason::kMalformed, wire::DecodeError::kTruncatedHeader}));
  wire::Bytes notMagic(64, 0xAB);
  EXPECT_EQ(decode(notMagic), (InputResult{DropReason::kMalformed, wire::DecodeError::kBadMagic}));
  EXPECT_EQ(decode(wire::ByteSpan(good).first(20)),
            (InputResult{DropReason::kMalformed, wire::DecodeError::kTruncatedHeader}));
  EXPECT_EQ(decode(wire::ByteSpan(good).first(good.size() - 3)),
            (InputResult{DropReason::kMalformed, wire::DecodeError::kLengthExceedsBuffer}));

  wire::Bytes flipped = good;
  flipped[wire::kHeaderSize + 9] ^= 0x10;
  EXPECT_EQ(decode(flipped).drop, DropReason::kBadChecksum);

  EXPECT_EQ(decode(frameOf(wire::MessageType::kRudpConnect, wire::Bytes(kConnectSize), false)).drop,
            DropReason::kMissingCrc);
  EXPECT_EQ(decode(frameOf(wire::MessageType::kData, wire::Bytes(8))).drop, DropReason::kNotRudp);
  EXPECT_EQ(decode(frameOf(wire::MessageType::kRudpConnect, wire::Bytes(31))).drop,
            DropReason::kBadPayloadSize);
  EXPECT_EQ(decode(frameOf(wire::MessageType::kRudpAck, wire::Bytes(kAckFixedSize + 3))).drop,
            DropReason::kBadPayloadSize);
  EXPECT_EQ(decode(frameOf(wire::MessageType::kRudpData, wire::Bytes(10))).drop,
            DropReason::kBadPayloadSize);
}

TEST(RudpCodec, RefusesAckFieldsThatDoNotAddUp) {
  auto parse = [](AckPacket a, auto mutate) {
    wire::Bytes bytes = ackDatagram(a);
    mutate(bytes);
    wire::Frame frame;
    const InputResult r = decodeRudpDatagram(bytes, frame);
    if (!r.taken()) return r.drop;
    AckPacket out;
    return parseAck(frame.payload, out);
  };
  constexpr std::size_t p = wire::kHeaderSize;
  auto rewriteCrc = [](wire::Bytes& b) {
    wire::Header h;
    ASSERT_EQ(wire::decodeHeader(b, wire::kMaxDatagramPayload, h), wire::DecodeError::kNone);
    const wire::Bytes payload(b.begin() + p, b.begin() + p + h.payloadLength);
    b = wire::encode(h, payload);
  };
  EXPECT_EQ(parse(sampleAck(),
                  [&](wire::Bytes& b) {
                    b[p + 5] = 3;
                    rewriteCrc(b);
                  }),
            DropReason::kBadPayloadSize);  // says 3 ranges, carries 2
  EXPECT_EQ(parse(sampleAck(),
                  [&](wire::Bytes& b) {
                    b[p + 4] |= 0x80;
                    rewriteCrc(b);
                  }),
            DropReason::kBadField);  // unknown flag
  EXPECT_EQ(parse(sampleAck(),
                  [&](wire::Bytes& b) {
                    b[p + 7] = 1;
                    rewriteCrc(b);
                  }),
            DropReason::kBadField);  // reserved not zero
  AckPacket overlapping = sampleAck();
  overlapping.ranges = {{2, 5}, {6, 1}};
  EXPECT_EQ(parse(overlapping, [](wire::Bytes&) {}), DropReason::kBadSack);
  AckPacket empty = sampleAck();
  empty.ranges = {{2, 0}};
  EXPECT_EQ(parse(empty, [](wire::Bytes&) {}), DropReason::kBadSack);
  AckPacket atCumulative = sampleAck();
  atCumulative.ranges = {{0, 2}};
  EXPECT_EQ(parse(atCumulative, [](wire::Bytes&) {}), DropReason::kBadSack);
}

TEST(RudpCodec, RefusesADataFrameCarryingAnRudpTypeAsTheUsers) {
  wire::Bytes scratch;
  wire::Bytes out;
  appendData({9, wire::MessageType::kRudpAck, 0, 1}, 0, 0, 0, {}, scratch, out);
  wire::Frame frame;
  ASSERT_TRUE(decodeRudpDatagram(out, frame).taken());
  DataPrefix prefix;
  wire::ByteSpan payload;
  EXPECT_EQ(parseData(frame.payload, prefix, payload), DropReason::kBadField);
}

TEST(RudpCodec, SurvivesRandomMutationsOfValidDatagrams) {
  // Everything goes through a live connection too; nothing may crash, and
  // a datagram with a bad CRC is never taken.
  ConnectionParams params;
  params.connectionId = 9;
  params.peerWindow = 64;
  RudpOptions options;
  RudpConnection connection(
      options, params, [](wire::ByteSpan) {}, 0);
  std::vector<wire::Bytes> seeds;
  seeds.push_back(ackDatagram(sampleAck()));
  wire::Bytes scratch;
  seeds.emplace_back();
  appendData({9, wire::MessageType::kData, 1, 1}, 1, 1, 0, wire::Bytes(20, 7), scratch,
             seeds.back());
  seeds.emplace_back();
  appendClose({9, 0}, 0, seeds.back());
  std::mt19937_64 random(1);
  for (int i = 0; i < 20'000; ++i) {
    wire::Bytes bytes = seeds[i % seeds.size()];
    const int edits = 1 + static_cast<int>(random() % 4);
    for (int e = 0; e < edits; ++e)
      bytes[random() % bytes.size()] ^= static_cast<std::uint8_t>(1 + random() % 255);
    if (random() % 4 == 0) bytes.resize(random() % (bytes.size() + 1));
    const InputResult r = connection.inputDatagram(bytes, i);
    if (r.taken()) {
      // Only possible when the edits left a valid frame (CRC included).
      EXPECT_TRUE(wire::decodeDatagram(bytes).ok());
    }
  }
  EXPECT_EQ(connection.counters().messagesDelivered, 0u);
}

}  // namespace
}  // namespace pigeon::transport::rudp
