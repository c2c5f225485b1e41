#include "transport/rudp/RudpCodec.h"

#include <algorithm>
#include <array>

namespace pigeon::transport::rudp {

namespace {

using wire::MessageType;

// Allowed payload sizes per rudp type: min..max in steps of `step` above min.
struct SizeRule {
  std::size_t min;
  std::size_t max;
  std::size_t step;
};

std::optional<SizeRule> sizeRule(MessageType type) {
  switch (type) {
    case MessageType::kRudpConnect:
      return SizeRule{kConnectSize, kConnectSize, 1};
    case MessageType::kRudpChallenge:
      return SizeRule{kChallengeSize, kChallengeSize, 1};
    case MessageType::kRudpCookie:
      return SizeRule{kCookieSize, kCookieSize, 1};
    case MessageType::kRudpAccept:
      return SizeRule{kAcceptSize, kAcceptSize, 1};
    case MessageType::kRudpData:
      return SizeRule{kDataPrefixSize, wire::kMaxDatagramPayload, 1};
    case MessageType::kRudpAck:
      return SizeRule{kAckFixedSize, kAckFixedSize + kMaxSackRanges * kSackRangeSize,
                      kSackRangeSize};
    case MessageType::kRudpClose:
      return SizeRule{kCloseSize, kCloseSize, 1};
    case MessageType::kRudpCloseAck:
      return SizeRule{kCloseAckSize, kCloseAckSize, 1};
    default:
      return std::nullopt;
  }
}

bool allZero(wire::ByteSpan bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; });
}

void encodeHello(const Hello& h, std::uint8_t* p) {
  wire::putU32(p, h.connectionId);
  p[4] = static_cast<std::uint8_t>(h.arq);
  p[5] = static_cast<std::uint8_t>(h.delivery);
  wire::putU16(p + 6, 0);
  wire::putU64(p + 8, h.initialSequence);
  wire::putU32(p + 16, h.receiveWindow);
  wire::putU32(p + 20, 0);
}

DropReason decodeHello(wire::ByteSpan payload, Hello& out) {
  const std::uint8_t* p = payload.data();  // size >= kHelloSize, checked by the caller
  if (!isArqScheme(p[4]) || !isDeliveryMode(p[5])) return DropReason::kBadField;
  if (wire::getU16(p + 6) != 0 || wire::getU32(p + 20) != 0) return DropReason::kBadField;
  out.connectionId = wire::getU32(p);
  if (out.connectionId == 0) return DropReason::kBadField;
  out.arq = static_cast<ArqScheme>(p[4]);
  out.delivery = static_cast<DeliveryMode>(p[5]);
  out.initialSequence = wire::getU64(p + 8);
  out.receiveWindow = wire::getU32(p + 16);
  return DropReason::kNone;
}

wire::Header controlHeader(MessageType type, std::int64_t nowNs) {
  wire::Header h;
  h.type = type;
  h.flags = wire::flags::kCrc;
  h.sendTimeNs = static_cast<std::uint64_t>(nowNs);
  return h;
}

// A user message type may be any pigeon type but rudp's own.
bool isUserType(std::uint8_t type) {
  return wire::payloadLimits(type).has_value() &&
         !(type >= static_cast<std::uint8_t>(MessageType::kRudpConnect) &&
           type <= static_cast<std::uint8_t>(MessageType::kRudpCloseAck));
}

}  // namespace

bool isRudpDatagram(wire::ByteSpan datagram) {
  if (datagram.size() < wire::kHeaderSize) return false;
  const std::uint8_t type = datagram[3];
  return datagram[0] == wire::kMagic0 && datagram[1] == wire::kMagic1 &&
         type >= static_cast<std::uint8_t>(MessageType::kRudpConnect) &&
         type <= static_cast<std::uint8_t>(MessageType::kRudpCloseAck);
}

InputResult decodeRudpDatagram(wire::ByteSpan datagram, wire::Frame& out) {
  const wire::DecodeResult decoded = wire::decodeDatagram(datagram);
  if (decoded.error == wire::DecodeError::kBadChecksum) return {DropReason::kBadChecksum, {}};
  if (!decoded.ok()) return {DropReason::kMalformed, decoded.error};
  const wire::Header& h = decoded.frame.header;
  if (!h.hasCrc()) return {DropReason::kMissingCrc, {}};
  const auto rule = sizeRule(h.type);
  if (!rule) return {DropReason::kNotRudp, {}};
  const std::size_t size = decoded.frame.payload.size();
  if (size < rule->min || size > rule->max || (size - rule->min) % rule->step != 0) {
    return {DropReason::kBadPayloadSize, {}};
  }
  out = decoded.frame;
  return {};
}

std::uint32_t connectionIdOf(const wire::Frame& frame) {
  return wire::getU32(frame.payload.data());
}

DropReason parseConnect(wire::ByteSpan payload, Hello& out) {
  if (payload.size() != kConnectSize) return DropReason::kBadPayloadSize;
  if (!allZero(payload.subspan(kHelloSize))) return DropReason::kBadField;
  return decodeHello(payload, out);
}

DropReason parseChallenge(wire::ByteSpan payload, std::uint32_t& connectionId, Cookie& cookie) {
  if (payload.size() != kChallengeSize) return DropReason::kBadPayloadSize;
  if (wire::getU32(payload.data() + 4) != 0) return DropReason::kBadField;
  connectionId = wire::getU32(payload.data());
  std::copy_n(payload.data() + 8, kCookieBytes, cookie.begin());
  return DropReason::kNone;
}

DropReason parseCookie(wire::ByteSpan payload, Hello& hello, Cookie& cookie) {
  if (payload.size() != kCookieSize) return DropReason::kBadPayloadSize;
  const DropReason r = decodeHello(payload, hello);
  if (r != DropReason::kNone) return r;
  std::copy_n(payload.data() + kHelloSize, kCookieBytes, cookie.begin());
  return DropReason::kNone;
}

DropReason parseAccept(wire::ByteSpan payload, Hello& out) {
  if (payload.size() != kAcceptSize) return DropReason::kBadPayloadSize;
  return decodeHello(payload, out);
}

DropReason parseData(wire::ByteSpan payload, DataPrefix& out, wire::ByteSpan& userPayload) {
  if (payload.size() < kDataPrefixSize) return DropReason::kBadPayloadSize;
  const std::uint8_t* p = payload.data();
  if (!isUserType(p[4])) return DropReason::kBadField;
  if (p[5] != 0 || wire::getU16(p + 6) != 0) return DropReason::kBadField;
  const auto limits = wire::payloadLimits(p[4]);
  const std::size_t userSize = payload.size() - kDataPrefixSize;
  if (userSize < limits->min || userSize > limits->max) return DropReason::kBadPayloadSize;
  out.connectionId = wire::getU32(p);
  out.userType = static_cast<MessageType>(p[4]);
  out.userSequence = wire::getU64(p + 8);
  out.transmissionId = wire::getU64(p + 16);
  userPayload = payload.subspan(kDataPrefixSize);
  return DropReason::kNone;
}

DropReason parseAck(wire::ByteSpan payload, AckPacket& out) {
  if (payload.size() < kAckFixedSize) return DropReason::kBadPayloadSize;
  const std::uint8_t* p = payload.data();
  const std::uint8_t flagBits = p[4];
  const std::size_t count = p[5];
  if ((flagBits & ~ackflags::kKnown) != 0) return DropReason::kBadField;
  if (wire::getU16(p + 6) != 0 || wire::getU32(p + 20) != 0) return DropReason::kBadField;
  if (count > kMaxSackRanges) return DropReason::kBadSack;
  if (payload.size() != kAckFixedSize + count * kSackRangeSize) return DropReason::kBadPayloadSize;
  if ((flagBits & ackflags::kEcho) == 0 &&
      (wire::getU64(p + 24) != 0 || wire::getU64(p + 32) != 0 ||
       (flagBits & ackflags::kEchoDiscarded) != 0)) {
    return DropReason::kBadField;
  }
  out.connectionId = wire::getU32(p);
  out.flags = flagBits;
  out.cumulative = wire::getU64(p + 8);
  out.window = wire::getU32(p + 16);
  out.echoSequence = wire::getU64(p + 24);
  out.echoTransmission = wire::getU64(p + 32);
  out.ranges.clear();
  // Ranges ascend with a gap between each: start > previous end.
  std::uint64_t previousEnd = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint8_t* r = p + kAckFixedSize + i * kSackRangeSize;
    const SackRange range{wire::getU32(r), wire::getU32(r + 4)};
    const std::uint64_t end = std::uint64_t{range.startOffset} + range.length;
    if (range.startOffset == 0 || range.length == 0 || range.startOffset <= previousEnd) {
      return DropReason::kBadSack;
    }
    previousEnd = end;
    out.ranges.push_back(range);
  }
  return DropReason::kNone;
}

DropReason parseClose(wire::ByteSpan payload, ClosePacket& out) {
  if (payload.size() != kCloseSize) return DropReason::kBadPayloadSize;
  if (wire::getU32(payload.data() + 4) != 0) return DropReason::kBadField;
  out.connectionId = wire::getU32(payload.data());
  out.nextSequence = wire::getU64(payload.data() + 8);
  return DropReason::kNone;
}

DropReason parseCloseAck(wire::ByteSpan payload, std::uint32_t& connectionId) {
  if (payload.size() != kCloseAckSize) return DropReason::kBadPayloadSize;
  if (wire::getU32(payload.data() + 4) != 0) return DropReason::kBadField;
  connectionId = wire::getU32(payload.data());
  return DropReason::kNone;
}

void appendConnect(const Hello& hello, std::int64_t nowNs, wire::Bytes& out) {
  std::array<std::uint8_t, kConnectSize> p{};
  encodeHello(hello, p.data());
  wire::appendFrame(controlHeader(MessageType::kRudpConnect, nowNs), p, out);
}

void appendChallenge(std::uint32_t connectionId, const Cookie& cookie, std::int64_t nowNs,
                     wire::Bytes& out) {
  std::array<std::uint8_t, kChallengeSize> p{};
  wire::putU32(p.data(), connectionId);
  std::copy(cookie.begin(), cookie.end(), p.begin() + 8);
  wire::appendFrame(controlHeader(MessageType::kRudpChallenge, nowNs), p, out);
}

void appendCookie(const Hello& hello, const Cookie& cookie, std::int64_t nowNs, wire::Bytes& out) {
  std::array<std::uint8_t, kCookieSize> p{};
  encodeHello(hello, p.data());
  std::copy(cookie.begin(), cookie.end(), p.begin() + kHelloSize);
  wire::appendFrame(controlHeader(MessageType::kRudpCookie, nowNs), p, out);
}

void appendAccept(const Hello& hello, std::int64_t nowNs, wire::Bytes& out) {
  std::array<std::uint8_t, kAcceptSize> p{};
  encodeHello(hello, p.data());
  wire::appendFrame(controlHeader(MessageType::kRudpAccept, nowNs), p, out);
}

void appendAck(const AckPacket& ack, std::int64_t nowNs, wire::Bytes& out) {
  std::array<std::uint8_t, kAckFixedSize + kMaxSackRanges * kSackRangeSize> p{};
  const std::size_t count = std::min(ack.ranges.size(), kMaxSackRanges);
  wire::putU32(p.data(), ack.connectionId);
  p[4] = ack.flags;
  p[5] = static_cast<std::uint8_t>(count);
  wire::putU64(p.data() + 8, ack.cumulative);
  wire::putU32(p.data() + 16, ack.window);
  wire::putU64(p.data() + 24, ack.echoSequence);
  wire::putU64(p.data() + 32, ack.echoTransmission);
  for (std::size_t i = 0; i < count; ++i) {
    std::uint8_t* r = p.data() + kAckFixedSize + i * kSackRangeSize;
    wire::putU32(r, ack.ranges[i].startOffset);
    wire::putU32(r + 4, ack.ranges[i].length);
  }
  const std::size_t size = kAckFixedSize + count * kSackRangeSize;
  wire::appendFrame(controlHeader(MessageType::kRudpAck, nowNs), wire::ByteSpan(p).first(size),
                    out);
}

void appendClose(const ClosePacket& close, std::int64_t nowNs, wire::Bytes& out) {
  std::array<std::uint8_t, kCloseSize> p{};
  wire::putU32(p.data(), close.connectionId);
  wire::putU64(p.data() + 8, close.nextSequence);
  wire::appendFrame(controlHeader(MessageType::kRudpClose, nowNs), p, out);
}

void appendCloseAck(std::uint32_t connectionId, std::int64_t nowNs, wire::Bytes& out) {
  std::array<std::uint8_t, kCloseAckSize> p{};
  wire::putU32(p.data(), connectionId);
  wire::appendFrame(controlHeader(MessageType::kRudpCloseAck, nowNs), p, out);
}

void appendData(const DataPrefix& prefix, std::uint32_t streamId, std::uint64_t sendTimeNs,
                std::uint64_t wireSequence, wire::ByteSpan userPayload, wire::Bytes& scratch,
                wire::Bytes& out) {
  scratch.resize(kDataPrefixSize + userPayload.size());
  std::uint8_t* p = scratch.data();
  wire::putU32(p, prefix.connectionId);
  p[4] = static_cast<std::uint8_t>(prefix.userType);
  p[5] = 0;
  wire::putU16(p + 6, 0);
  wire::putU64(p + 8, prefix.userSequence);
  wire::putU64(p + 16, prefix.transmissionId);
  std::copy(userPayload.begin(), userPayload.end(), p + kDataPrefixSize);
  wire::Header h;
  h.type = MessageType::kRudpData;
  h.flags = wire::flags::kCrc;
  h.streamId = streamId;
  h.sequence = wireSequence;
  h.sendTimeNs = sendTimeNs;
  wire::appendFrame(h, scratch, out);
}

}  // namespace pigeon::transport::rudp
