// The datagram decoder: any bytes give a frame or a typed error, never a
// read out of bounds; a frame it takes encodes back to the very same bytes.

#include "wire/Codec.h"

#include <cstdlib>
#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pigeon::wire;
  const ByteSpan datagram(data, size);
  (void)startsLikeFrame(datagram);
  const DecodeResult decoded = decodeDatagram(datagram);
  if (!decoded.ok()) return 0;
  const Bytes again = encode(decoded.frame.header, decoded.frame.payload);
  if (again.size() != size || std::memcmp(again.data(), data, size) != 0) std::abort();
  return 0;
}
