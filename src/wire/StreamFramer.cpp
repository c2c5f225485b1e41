#include "wire/StreamFramer.h"

#include "wire/Crc32.h"

namespace pigeon::wire {

StreamFramer::StreamFramer(std::size_t maxPayload) : maxPayload_(maxPayload) {}

void StreamFramer::append(ByteSpan bytes) {
  compact();
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

void StreamFramer::compact() {
  // Drop consumed bytes once they are the bulk of the buffer, so that the
  // cost stays linear in the bytes received.
  if (readPos_ > 0 && readPos_ * 2 >= buffer_.size()) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(readPos_));
    readPos_ = 0;
  }
}

StreamFramer::Result StreamFramer::next() {
  Result result;
  if (failed_ != DecodeError::kNone) {
    result.status = Status::kError;
    result.error = failed_;
    return result;
  }
  const ByteSpan pending = ByteSpan(buffer_).subspan(readPos_);
  if (pending.size() < kHeaderSize) {
    // Reject a wrong start early rather than waiting for 32 bytes of junk.
    if (!pending.empty() && !startsLikeFrame(pending)) {
      failed_ = pending[0] != kMagic0 || (pending.size() > 1 && pending[1] != kMagic1)
                    ? DecodeError::kBadMagic
                    : DecodeError::kUnsupportedVersion;
      return next();
    }
    return result;
  }

  Header header;
  if (const DecodeError e = decodeHeader(pending, maxPayload_, header); e != DecodeError::kNone) {
    failed_ = e;
    return next();
  }
  const std::size_t size = encodedSize(header.payloadLength, header.hasCrc());
  if (pending.size() < size) return result;

  if (header.hasCrc()) {
    const std::size_t covered = kHeaderSize + header.payloadLength;
    if (crc32(pending.first(covered)) != getU32(pending.data() + covered)) {
      failed_ = DecodeError::kBadChecksum;
      return next();
    }
  }
  if (header.payloadLength == 0) {
    if (++emptyFramesInARow_ > kMaxEmptyFramesInARow) {
      failed_ = DecodeError::kEmptyFrameFlood;
      return next();
    }
  } else {
    emptyFramesInARow_ = 0;
  }

  result.status = Status::kFrame;
  result.frame.header = header;
  result.frame.payload = pending.subspan(kHeaderSize, header.payloadLength);
  readPos_ += size;
  return result;
}

Bytes StreamFramer::takeBuffered() {
  Bytes rest(buffer_.begin() + static_cast<std::ptrdiff_t>(readPos_), buffer_.end());
  buffer_.clear();
  readPos_ = 0;
  return rest;
}

}  // namespace pigeon::wire
