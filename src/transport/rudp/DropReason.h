#pragma once

#include "wire/DecodeError.h"

#include <string>
#include <string_view>

namespace pigeon::transport::rudp {

// Why a datagram was dropped. Bytes from the network are hostile: each
// check has its own reason, and a dropped datagram changes nothing.
enum class DropReason {
  kNone,               // taken
  kMalformed,          // not a pigeon frame; see the wire::DecodeError
  kBadChecksum,        // CRC-32 mismatch: corrupted on the way
  kMissingCrc,         // rudp datagrams must carry the CRC flag
  kNotRudp,            // a pigeon frame, but not of an rudp type
  kBadPayloadSize,     // payload size not the one its type has
  kBadField,           // a reserved field not zero, an unknown mode or type value
  kBadSack,            // SACK ranges unordered, overlapping, empty or too many
  kUnknownConnection,  // a connection id that is not this connection's
  kUnexpected,         // a type this side does not take in its state
  kBadCookie,          // the cookie's MAC does not match (forged, or for another address)
  kExpiredCookie,      // the cookie's time bucket is too old or in the future
  kAckOutOfRange,      // acknowledges something never sent
  kStranger,           // from an address that is not the peer
};

// What input() made of one datagram.
struct InputResult {
  DropReason drop = DropReason::kNone;
  wire::DecodeError decodeError = wire::DecodeError::kNone;  // when kMalformed

  bool taken() const { return drop == DropReason::kNone; }
  bool operator==(const InputResult&) const = default;
};

std::string_view describe(DropReason reason);
std::string describe(const InputResult& result);

}  // namespace pigeon::transport::rudp
