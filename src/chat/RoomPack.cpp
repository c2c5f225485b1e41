#include "chat/RoomPack.h"

namespace pigeon::chat {

void RoomPack::appendLine(std::uint64_t sequence, wire::ByteSpan text, wire::Bytes& payload) {
  wire::Header header;
  header.type = wire::MessageType::kData;
  header.streamId = kLineStream;
  header.sequence = sequence;
  wire::appendFrame(header, text, payload);
}

wire::DecodeError RoomPack::unpack(wire::ByteSpan payload, std::vector<wire::Frame>& lines) {
  lines.clear();
  wire::DecodeError error =
      payload.empty() ? wire::DecodeError::kTruncatedHeader : wire::DecodeError::kNone;
  while (!payload.empty() && error == wire::DecodeError::kNone) {
    wire::Header header;
    error = wire::decodeHeader(payload, wire::kMaxDatagramPayload, header);
    if (error != wire::DecodeError::kNone) break;
    const std::size_t size = wire::encodedSize(header.payloadLength, header.hasCrc());
    if (size > payload.size()) {
      error = wire::DecodeError::kLengthExceedsBuffer;
      break;
    }
    const wire::DecodeResult line = wire::decodeDatagram(payload.first(size));
    error = line.error;
    if (line.ok() && (line.frame.header.type != wire::MessageType::kData ||
                      line.frame.header.streamId != kLineStream)) {
      error = wire::DecodeError::kUnknownType;  // no packs in packs, no control frames
    }
    if (error == wire::DecodeError::kNone) lines.push_back(line.frame);
    payload = payload.subspan(size);
  }
  if (error != wire::DecodeError::kNone) lines.clear();
  return error;
}

}  // namespace pigeon::chat
