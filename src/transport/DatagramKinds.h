#pragma once

#include "transport/Transport.h"
#include "wire/Bytes.h"
#include "wire/DecodeError.h"
#include "wire/Header.h"

namespace pigeon::transport {

// One datagram told apart: a pigeon frame (kMessage, with its header and a
// payload that points into the datagram), bytes from a plain peer (kPlain:
// the whole datagram), or bytes that claimed to be a frame and were not
// (kMalformed, with why). The one rule every UDP user applies.
struct ClassifiedDatagram {
  Incoming::Kind kind = Incoming::Kind::kPlain;
  wire::Header header;
  wire::ByteSpan payload;
  wire::DecodeError error = wire::DecodeError::kNone;
};

ClassifiedDatagram classifyDatagram(wire::ByteSpan datagram);

}  // namespace pigeon::transport
