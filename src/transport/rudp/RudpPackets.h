#pragma once

#include "transport/rudp/RudpOptions.h"
#include "wire/Header.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace pigeon::transport::rudp {

// The payloads of the rudp message types (wire/Header.h kRudpConnect ..
// kRudpCloseAck). Each rides in a pigeon frame with the CRC flag set; all
// fields big-endian, encoded one by one by RudpCodec. Byte offsets are on
// the left; docs/rudp.md draws them. Every payload starts with the
// connection id, which the client picks at random (never 0).

// Hello: the first 24 bytes of Connect (32) and Cookie (48), and all of Accept (24).
//   0 connection id (u32)  4 arq (u8)  5 delivery (u8)  6 reserved (u16, zero)
//   8 initial sequence number (u64)  16 receive window, messages (u32)  20 reserved (u32)
// Connect pads with 8 zero bytes, so a Challenge is never larger than the
// Connect that caused it (no amplification). In Accept, the fields are the
// listener's: its ISN and window, and the modes the connection uses.
struct Hello {
  std::uint32_t connectionId = 0;
  ArqScheme arq = ArqScheme::kSelectiveRepeat;
  DeliveryMode delivery = DeliveryMode::kOrdered;
  std::uint64_t initialSequence = 0;
  std::uint32_t receiveWindow = 0;

  bool operator==(const Hello&) const = default;
};

// The listener's stateless cookie: time bucket (u64) + 16 bytes of
// HMAC-SHA256, opaque to the client, which echoes it back.
inline constexpr std::size_t kCookieBytes = 24;
using Cookie = std::array<std::uint8_t, kCookieBytes>;

// Challenge: 0 connection id (u32)  4 reserved (u32)  8 cookie (24)
// Cookie:    0 Hello (24)  24 cookie (24)

// Data: the user's payload follows a 24-byte prefix.
//   0 connection id (u32)  4 user message type (u8)  5 reserved (u8)  6 reserved (u16)
//   8 user sequence (u64)  16 transmission id (u64)  24 user payload ...
// The pigeon header carries the user's stream id and send time, and the
// rudp sequence number; the transmission id numbers every datagram sent
// (retransmissions get new ones) and comes back in acks.
struct DataPrefix {
  std::uint32_t connectionId = 0;
  wire::MessageType userType = wire::MessageType::kData;
  std::uint64_t userSequence = 0;
  std::uint64_t transmissionId = 0;
};

// Ack: 40 bytes, then `range count` SACK ranges of 8 bytes.
//   0 connection id (u32)  4 flags (u8)  5 range count (u8)  6 reserved (u16)
//   8 cumulative ack (u64): the wire sequence of the next message expected in order
//  16 receive window, messages from the cumulative ack (u32)  20 reserved (u32)
//  24 echo: wire sequence (u64)  32 echo: transmission id (u64)
//  40 ranges: start offset from the cumulative ack (u32), length (u32)
namespace ackflags {
inline constexpr std::uint8_t kAckRequested = 0x01;   // answer with an ack (keepalive, probe)
inline constexpr std::uint8_t kEcho = 0x02;           // the echo fields are set
inline constexpr std::uint8_t kEchoDiscarded = 0x04;  // the echoed transmission was not taken
inline constexpr std::uint8_t kKnown = 0x07;
}  // namespace ackflags

struct SackRange {
  std::uint32_t startOffset = 0;  // from the cumulative ack; at least 1
  std::uint32_t length = 0;       // at least 1

  bool operator==(const SackRange&) const = default;
};

inline constexpr std::size_t kMaxSackRanges = 32;

struct AckPacket {
  std::uint32_t connectionId = 0;
  std::uint8_t flags = 0;
  std::uint64_t cumulative = 0;  // wire sequence
  std::uint32_t window = 0;
  std::uint64_t echoSequence = 0;  // wire sequence
  std::uint64_t echoTransmission = 0;
  std::vector<SackRange> ranges;  // ascending, apart (a gap between each)
};

// Close: 0 connection id (u32)  4 reserved (u32)  8 next sequence (u64): the
// wire sequence after the closer's last message; the peer confirms the close
// once it has every message before it.
struct ClosePacket {
  std::uint32_t connectionId = 0;
  std::uint64_t nextSequence = 0;
};
// CloseAck: 0 connection id (u32)  4 reserved (u32)

inline constexpr std::size_t kHelloSize = 24;
inline constexpr std::size_t kConnectSize = 32;
inline constexpr std::size_t kChallengeSize = 32;
inline constexpr std::size_t kCookieSize = kHelloSize + kCookieBytes;
inline constexpr std::size_t kAcceptSize = kHelloSize;
inline constexpr std::size_t kDataPrefixSize = 24;
inline constexpr std::size_t kAckFixedSize = 40;
inline constexpr std::size_t kSackRangeSize = 8;
inline constexpr std::size_t kCloseSize = 16;
inline constexpr std::size_t kCloseAckSize = 8;

// The largest user payload one rudp message carries.
inline constexpr std::size_t kMaxUserPayload = wire::kMaxDatagramPayload - kDataPrefixSize;

}  // namespace pigeon::transport::rudp
