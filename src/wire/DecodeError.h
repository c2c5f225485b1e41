#pragma once

#include <string_view>

namespace pigeon::wire {

// Why bytes from the network are not a pigeon frame. Decoding never throws:
// a hostile or broken peer gets one of these, and the frame is dropped.
enum class DecodeError {
  kNone,
  kTruncatedHeader,      // fewer than kHeaderSize bytes
  kBadMagic,             // not 'P' 'G'
  kUnsupportedVersion,   // a version this build does not speak
  kUnknownType,          // a message type this version does not define
  kUnknownFlags,         // a flag bit this version does not define
  kBadReserved,          // the reserved field is not zero
  kLengthTooLarge,       // payload length above the maximum for this carrier
  kBadPayloadSize,       // payload length outside what the type allows
  kLengthExceedsBuffer,  // a datagram shorter than its header says
  kTrailingBytes,        // a datagram longer than its header says
  kBadChecksum,          // CRC-32 trailer does not match
  kEmptyFrameFlood,      // too many payload-less frames in a row on a stream
};

std::string_view describe(DecodeError error);

}  // namespace pigeon::wire
