#pragma once

#include "wire/Codec.h"

#include <cstddef>

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

  // The next whole frame, or kNeedMore, or the error that stopped the stream.
  Result next();

  // Bytes held that are not yet part of a returned frame.
  std::size_t buffered() const { return buffer_.size() - readPos_; }

  // Hands back the unframed bytes (for a peer found to be plain text).
  Bytes takeBuffered();

 private:
  void compact();

  std::size_t maxPayload_;
  Bytes buffer_;
  std::size_t readPos_ = 0;
  std::size_t emptyFramesInARow_ = 0;
  DecodeError failed_ = DecodeError::kNone;
};

}  // namespace pigeon::wire
