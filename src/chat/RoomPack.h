#pragma once

#include "wire/Codec.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace pigeon::chat {

// Several room lines in one UDP datagram (docs/protocol.md, "Room lines
// packed in one datagram"): a kData frame on stream kStream whose payload is
// whole kData frames on the chat stream, back to back, each with its own
// sequence number, so a member still marks exactly which lines were lost,
// duplicated or reordered. A room packs only what a member's queue already
// holds; one line goes alone, as an ordinary frame. Stateless.
class RoomPack {
 public:
  static constexpr std::uint32_t kStream = 2;
  static constexpr std::uint32_t kLineStream = 1;  // ChatSession::kChatStream
  // Largest pack a room sends: it fits the IPv6 minimum MTU (1280) with
  // the IP and UDP headers, so no pack is ever fragmented.
  static constexpr std::size_t kMaxBytes = 1200;

  // Appends one line (a kData frame on kLineStream) to a pack's payload.
  static void appendLine(std::uint64_t sequence, wire::ByteSpan text, wire::Bytes& payload);

  // Bytes one line of `textBytes` takes in a pack.
  static std::size_t lineBytes(std::size_t textBytes) {
    return wire::encodedSize(textBytes, false);
  }

  // Cuts a pack's payload into its lines with the frame decoder, each frame
  // checked as a datagram of its own. All or nothing: kNone and the lines
  // in `lines` (pointing into `payload`), or the first error and no lines
  // (a header past the end is kLengthExceedsBuffer, anything but a line on
  // kLineStream is kUnknownType, an empty pack kTruncatedHeader).
  static wire::DecodeError unpack(wire::ByteSpan payload, std::vector<wire::Frame>& lines);
};

}  // namespace pigeon::chat
