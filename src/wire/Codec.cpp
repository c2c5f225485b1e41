#include "wire/Codec.h"

#include "wire/Crc32.h"

#include <algorithm>
#include <cassert>

namespace pigeon::wire {

std::size_t encodedSize(std::size_t payloadSize, bool withCrc) {
  return kHeaderSize + payloadSize + (withCrc ? kCrcSize : 0);
}

namespace {

void putHeader(const Header& header, std::size_t payloadSize, std::uint8_t* p) {
  p[0] = kMagic0;
  p[1] = kMagic1;
  p[2] = kVersion;
  p[3] = static_cast<std::uint8_t>(header.type);
  putU16(p + 4, header.flags);
  putU16(p + 6, 0);
  putU32(p + 8, static_cast<std::uint32_t>(payloadSize));
  putU32(p + 12, header.streamId);
  putU64(p + 16, header.sequence);
  putU64(p + 24, header.sendTimeNs);
}

}  // namespace

void encodeHeaderInto(Header header, std::size_t payloadSize, std::span<std::uint8_t> out) {
  assert(out.size() >= kHeaderSize && !header.hasCrc());
  putHeader(header, payloadSize, out.data());
}

std::size_t encodeInto(Header header, ByteSpan payload, std::span<std::uint8_t> out) {
  const std::size_t size = encodedSize(payload.size(), header.hasCrc());
  assert(out.size() >= size);
  std::uint8_t* p = out.data();
  putHeader(header, payload.size(), p);
  if (!payload.empty()) std::copy(payload.begin(), payload.end(), p + kHeaderSize);
  if (header.hasCrc()) {
    const std::size_t covered = kHeaderSize + payload.size();
    putU32(p + covered, crc32({p, covered}));
  }
  return size;
}

void appendFrame(Header header, ByteSpan payload, Bytes& out) {
  const std::size_t start = out.size();
  out.resize(start + encodedSize(payload.size(), header.hasCrc()));
  encodeInto(header, payload, std::span<std::uint8_t>(out).subspan(start));
}

Bytes encode(Header header, ByteSpan payload) {
  Bytes out;
  appendFrame(header, payload, out);
  return out;
}

DecodeError decodeHeader(ByteSpan in, std::size_t maxPayload, Header& out) {
  if (in.size() < kHeaderSize) return DecodeError::kTruncatedHeader;
  const std::uint8_t* p = in.data();
  if (p[0] != kMagic0 || p[1] != kMagic1) return DecodeError::kBadMagic;
  if (p[2] != kVersion) return DecodeError::kUnsupportedVersion;
  const auto limits = payloadLimits(p[3]);
  if (!limits) return DecodeError::kUnknownType;
  const std::uint16_t flagBits = getU16(p + 4);
  if ((flagBits & ~flags::kKnown) != 0) return DecodeError::kUnknownFlags;
  if (getU16(p + 6) != 0) return DecodeError::kBadReserved;
  const std::uint32_t length = getU32(p + 8);
  if (length > maxPayload) return DecodeError::kLengthTooLarge;
  if (length < limits->min || length > limits->max) return DecodeError::kBadPayloadSize;

  out.type = static_cast<MessageType>(p[3]);
  out.flags = flagBits;
  out.payloadLength = length;
  out.streamId = getU32(p + 12);
  out.sequence = getU64(p + 16);
  out.sendTimeNs = getU64(p + 24);
  return DecodeError::kNone;
}

DecodeResult decodeDatagram(ByteSpan datagram, std::size_t maxPayload) {
  DecodeResult result;
  Header& h = result.frame.header;
  result.error = decodeHeader(datagram, maxPayload, h);
  if (!result.ok()) return result;

  const std::size_t expected = encodedSize(h.payloadLength, h.hasCrc());
  if (datagram.size() < expected) {
    result.error = DecodeError::kLengthExceedsBuffer;
    return result;
  }
  if (datagram.size() > expected) {
    result.error = DecodeError::kTrailingBytes;
    return result;
  }
  if (h.hasCrc()) {
    const std::size_t covered = kHeaderSize + h.payloadLength;
    if (crc32(datagram.first(covered)) != getU32(datagram.data() + covered)) {
      result.error = DecodeError::kBadChecksum;
      return result;
    }
  }
  result.frame.payload = datagram.subspan(kHeaderSize, h.payloadLength);
  return result;
}

bool startsLikeFrame(ByteSpan in) {
  static constexpr std::uint8_t kPrefix[] = {kMagic0, kMagic1, kVersion};
  const std::size_t n = std::min(in.size(), sizeof kPrefix);
  return n > 0 && std::equal(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(n), kPrefix);
}

}  // namespace pigeon::wire
