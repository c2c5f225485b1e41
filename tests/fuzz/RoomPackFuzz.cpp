// A room's pack of lines (chat::RoomPack::unpack): any bytes give lines or
// a typed error and no line, never a read out of bounds; the lines it takes
// encode back, one after another, to exactly the same bytes.

#include "chat/RoomPack.h"

#include <cstdlib>
#include <cstring>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pigeon::wire;
  std::vector<Frame> lines;
  const DecodeError error = pigeon::chat::RoomPack::unpack(ByteSpan(data, size), lines);
  if (error != DecodeError::kNone) {
    if (!lines.empty()) std::abort();
    return 0;
  }
  Bytes again;
  for (const Frame& line : lines) {
    if (line.header.type != MessageType::kData ||
        line.header.streamId != pigeon::chat::RoomPack::kLineStream) {
      std::abort();
    }
    appendFrame(line.header, line.payload, again);
  }
  if (again.size() != size || std::memcmp(again.data(), data, size) != 0) std::abort();
  return 0;
}
