#include "wire/DecodeError.h"

namespace pigeon::wire {

std::string_view describe(DecodeError error) {
  switch (error) {
    case DecodeError::kNone:
      return "no error";
    case DecodeError::kTruncatedHeader:
      return "truncated header";
    case DecodeError::kBadMagic:
      return "bad magic";
    case DecodeError::kUnsupportedVersion:
      return "unsupported version";
    case DecodeError::kUnknownType:
      return "unknown message type";
    case DecodeError::kUnknownFlags:
      return "unknown flags";
    case DecodeError::kBadReserved:
      return "reserved field not zero";
    case DecodeError::kLengthTooLarge:
      return "payload length above maximum";
    case DecodeError::kBadPayloadSize:
      return "payload size not allowed for its type";
    case DecodeError::kLengthExceedsBuffer:
      return "payload length exceeds datagram";
    case DecodeError::kTrailingBytes:
      return "bytes after the frame";
    case DecodeError::kBadChecksum:
      return "checksum mismatch";
    case DecodeError::kEmptyFrameFlood:
      return "too many empty frames in a row";
  }
  return "unknown error";
}

}  // namespace pigeon::wire
