#pragma once

#include "wire/Bytes.h"
#include "wire/DecodeError.h"
#include "wire/Header.h"

#include <span>

namespace pigeon::wire {

// A decoded frame. `payload` points into the buffer that was decoded and is
// valid only as long as that buffer is.
struct Frame {
  Header header;
  ByteSpan payload;
};

struct DecodeResult {
  DecodeError error = DecodeError::kNone;
  Frame frame;

  bool ok() const { return error == DecodeError::kNone; }
};

// Bytes a frame with this payload takes on the wire.
std::size_t encodedSize(std::size_t payloadSize, bool withCrc);

// Writes one frame into `out`, which must hold encodedSize() bytes; the
// header's payloadLength is taken from `payload`. Returns the bytes written.
std::size_t encodeInto(Header header, ByteSpan payload, std::span<std::uint8_t> out);

// Writes only the kHeaderSize bytes of header that go before a payload of
// `payloadSize` bytes, for a frame sent in pieces (no CRC: a CRC covers
// the payload too, so `header` must not ask for one).
void encodeHeaderInto(Header header, std::size_t payloadSize, std::span<std::uint8_t> out);

// Appends one frame to `out`.
void appendFrame(Header header, ByteSpan payload, Bytes& out);

Bytes encode(Header header, ByteSpan payload);

// Reads and checks the fixed header at the start of `in` (magic, version,
// type, flags, reserved, length against `maxPayload` and the type's limits),
// without looking at the payload.
DecodeError decodeHeader(ByteSpan in, std::size_t maxPayload, Header& out);

// Decodes a whole datagram: exactly one frame, nothing before or after it.
DecodeResult decodeDatagram(ByteSpan datagram, std::size_t maxPayload = kMaxDatagramPayload);

// True when `in` starts like a pigeon frame (magic, then version): how a
// plain-text peer is told apart from a pigeon. A prefix shorter than three
// bytes is judged on what there is.
bool startsLikeFrame(ByteSpan in);

}  // namespace pigeon::wire
