#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace pigeon::wire {

// The pigeon frame, the same over every transport (docs/protocol.md).
// All fields big-endian, encoded one by one; never a struct copied.
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |   magic 'P' (0x50) 'G' (0x47) |    version    |     type      |  0
//  +-------------------------------+---------------+---------------+
//  |             flags             |        reserved (zero)        |  4
//  +-------------------------------+-------------------------------+
//  |                        payload length                         |  8
//  +---------------------------------------------------------------+
//  |                           stream id                           | 12
//  +---------------------------------------------------------------+
//  |                    sequence number (64 bits)                  | 16
//  +---------------------------------------------------------------+
//  |               sender timestamp, ns, steady clock              | 24
//  +---------------------------------------------------------------+
//  |                payload (payload length bytes)  ...            | 32
//  +---------------------------------------------------------------+
//  |           CRC-32 of header and payload (if flag CRC)          |
//  +---------------------------------------------------------------+

inline constexpr std::uint8_t kMagic0 = 0x50;  // 'P'
inline constexpr std::uint8_t kMagic1 = 0x47;  // 'G'
inline constexpr std::uint8_t kVersion = 1;
inline constexpr std::size_t kHeaderSize = 32;
inline constexpr std::size_t kCrcSize = 4;

// Largest UDP payload over IPv4 (65535 - 20 IP - 8 UDP), and so the largest
// pigeon datagram; the payload of one frame is that less header and CRC.
inline constexpr std::size_t kMaxDatagramSize = 65507;
inline constexpr std::size_t kMaxDatagramPayload = kMaxDatagramSize - kHeaderSize - kCrcSize;
// A stream frame may carry more, but a length above this is refused before
// anything is allocated for it.
inline constexpr std::size_t kMaxStreamPayload = 1u << 20;
// Stream 0 carries control (hello, bye); an empty data frame on it is a
// keepalive, never shown (docs/protocol.md). Chat, rooms and the link's
// counters share this one definition.
inline constexpr std::uint32_t kControlStreamId = 0;

namespace flags {
inline constexpr std::uint16_t kCrc = 0x0001;  // a CRC-32 trailer follows the payload
// The frame answers another (an echo's reply). A reflector never answers a
// frame with this flag, so two reflectors cannot bounce one frame forever.
inline constexpr std::uint16_t kReply = 0x0002;
inline constexpr std::uint16_t kKnown = kCrc | kReply;  // every flag this version defines
}  // namespace flags

enum class MessageType : std::uint8_t {
  kData = 1,        // a message: chat text, bench probe, file chunk
  kHello = 2,       // a session opens; payload: sender's nickname (UTF-8)
  kBye = 3,         // a session ends; payload 8 bytes: data messages sent
  kReport = 4,      // sender's final count for a stream (bench): payload 8 bytes
  kEcho = 5,        // a probe to reflect (echo); payload any
  kEchoReply = 6,   // the reflected probe
  kFileOffer = 12,  // a file follows: size, chunk size, SHA-256, name (filexfer/FileOffer.h)
  // Reliable UDP (rudp) control and data.
  kRudpConnect = 16,    // client asks to connect
  kRudpChallenge = 17,  // listener answers with a stateless cookie
  kRudpCookie = 18,     // client echoes the cookie; listener creates state
  kRudpAccept = 19,     // listener confirms the connection
  kRudpData = 20,       // a reliable message
  kRudpAck = 21,        // cumulative + selective acknowledgement
  kRudpClose = 22,      // close request
  kRudpCloseAck = 23,   // close confirmed
};

// The payload sizes a type allows; checked before any field of it is read.
struct PayloadLimits {
  std::size_t min;
  std::size_t max;
};

// Limits for a known type, or nullopt for a type this version does not know.
std::optional<PayloadLimits> payloadLimits(std::uint8_t type);

std::string_view messageTypeName(MessageType type);

struct Header {
  MessageType type = MessageType::kData;
  std::uint16_t flags = 0;
  std::uint32_t payloadLength = 0;
  std::uint32_t streamId = 0;
  std::uint64_t sequence = 0;
  std::uint64_t sendTimeNs = 0;

  bool hasCrc() const { return (flags & flags::kCrc) != 0; }
};

}  // namespace pigeon::wire
