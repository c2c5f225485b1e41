#pragma once

#include "wire/Codec.h"

#include <cstddef>
#include <span>

namespace pigeon::wire {

// Cuts frames out of a byte stream (TCP). Bytes arrive in any split: one at
// a time, several frames in one read, a frame across reads; the framer keeps
// what is not yet a whole frame. A bad header is rejected as soon as its 32
// bytes are in, before any room is made for the payload it announces. After
// an error the stream cannot be resynchronised: the framer stays failed.
// Not thread safe.
class StreamFramer {
 public:
  enum class Status { kFrame, kNeedMore, kError };

  struct Result {
    Status status = Status::kNeedMore;
    Frame frame;  // valid until the next append() or next()
    DecodeError error = DecodeError::kNone;
  };

  // A run of this many payload-less frames in a row is taken as a flood.
  static constexpr std::size_t kMaxEmptyFramesInARow = 1024;

  explicit StreamFramer(std::size_t maxPayload = kMaxStreamPayload);

  void append(ByteSpan bytes);

  // Room for up to `maxBytes` more at the end, for a socket read to land in
  // directly (no copy through a buffer of its own); then commitTail() with
  // how many it wrote. The room is valid until the next call.
  std::span<std::uint8_t> reserveTail(std::size_t maxBytes);
  void commitTail(std::size_t written);

  // The next whole frame, or kNeedMore, or the error that stopped the stream.
  Result next();

  // Bytes held that are not yet part of a returned frame.
  std::size_t buffered() const { return endPos_ - readPos_; }

  // Hands back the unframed bytes (for a peer found to be plain text).
  Bytes takeBuffered();

 private:
  void compact();
  void makeRoom(std::size_t bytes);

  std::size_t maxPayload_;
  Bytes buffer_;  // storage: [readPos_, endPos_) is held, beyond it spare room
  std::size_t readPos_ = 0;
  std::size_t endPos_ = 0;
  std::size_t emptyFramesInARow_ = 0;
  DecodeError failed_ = DecodeError::kNone;
};

}  // namespace pigeon::wire
