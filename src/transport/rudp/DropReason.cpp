#include "transport/rudp/DropReason.h"

namespace pigeon::transport::rudp {

std::string_view describe(DropReason reason) {
  switch (reason) {
    case DropReason::kNone:
      return "taken";
    case DropReason::kMalformed:
      return "not a pigeon frame";
    case DropReason::kBadChecksum:
      return "checksum mismatch (corrupted)";
    case DropReason::kMissingCrc:
      return "rudp datagram without CRC";
    case DropReason::kNotRudp:
      return "not an rudp message type";
    case DropReason::kBadPayloadSize:
      return "payload size wrong for its type";
    case DropReason::kBadField:
      return "bad field value";
    case DropReason::kBadSack:
      return "bad SACK ranges";
    case DropReason::kUnknownConnection:
      return "unknown connection id";
    case DropReason::kUnexpected:
      return "unexpected in this state";
    case DropReason::kBadCookie:
      return "bad cookie";
    case DropReason::kExpiredCookie:
      return "expired cookie";
    case DropReason::kAckOutOfRange:
      return "acknowledges what was never sent";
    case DropReason::kStranger:
      return "from an address that is not the peer";
  }
  return "unknown reason";
}

std::string describe(const InputResult& result) {
  std::string text(describe(result.drop));
  if (result.drop == DropReason::kMalformed) {
    text += ": ";
    text += wire::describe(result.decodeError);
  }
  return text;
}

}  // namespace pigeon::transport::rudp
