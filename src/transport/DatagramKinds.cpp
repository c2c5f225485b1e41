#include "transport/DatagramKinds.h"

#include "wire/Codec.h"

namespace pigeon::transport {

ClassifiedDatagram classifyDatagram(wire::ByteSpan datagram) {
  ClassifiedDatagram out;
  // Fewer than three bytes cannot show the magic: a plain peer's "hi".
  if (datagram.size() < 3 || !wire::startsLikeFrame(datagram)) {
    out.kind = Incoming::Kind::kPlain;
    out.payload = datagram;
    return out;
  }
  const wire::DecodeResult decoded = wire::decodeDatagram(datagram);
  if (!decoded.ok()) {
    out.kind = Incoming::Kind::kMalformed;
    out.error = decoded.error;
    return out;
  }
  out.kind = Incoming::Kind::kMessage;
  out.header = decoded.frame.header;
  out.payload = decoded.frame.payload;
  return out;
}

}  // namespace pigeon::transport
