#include "wire/StreamFramer.h"

#include "wire/Crc32.h"

#include <algorithm>

namespace pigeon::wire {

StreamFramer::StreamFramer(std::size_t maxPayload) : maxPayload_(maxPayload) {}

void StreamFramer::append(ByteSpan bytes) {
  const std::span<std::uint8_t> room = reserveTail(bytes.size());
  std::copy(bytes.begin(), bytes.end(), room.begin());
  commitTail(bytes.size());
}

std::span<std::uint8_t> StreamFramer::reserveTail(std::size_t maxBytes) {
  compact();
  makeRoom(maxBytes);
  return std::span<std::uint8_t>(buffer_).subspan(endPos_, maxBytes);
}

void StreamFramer::commitTail(std::size_t written) {
  endPos_ = std::min(endPos_ + written, buffer_.size());
}

void StreamFramer::makeRoom(std::size_t bytes) {
  // The storage only grows (to one frame and one read at most, as the
  // vector's capacity did before), so a read lands in memory already made.
  if (buffer_.size() - endPos_ < bytes) buffer_.resize(endPos_ + bytes);
}

void StreamFramer::compact() {
  // Drop consumed bytes once they are the bulk of what is held, so that
  // the cost stays linear in the bytes received.
  if (readPos_ == endPos_) {
    readPos_ = endPos_ = 0;
  } else if (readPos_ > 0 && readPos_ * 2 >= endPos_) {
    std::copy(buffer_.begin() + static_cast<std::ptrdiff_t>(readPos_),
              buffer_.begin() + static_cast<std::ptrdiff_t>(endPos_), buffer_.begin());
    endPos_ -= readPos_;
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
  const ByteSpan pending = ByteSpan(buffer_).subspan(readPos_, endPos_ - readPos_);
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
  Bytes rest(buffer_.begin() + static_cast<std::ptrdiff_t>(readPos_),
             buffer_.begin() + static_cast<std::ptrdiff_t>(endPos_));
  buffer_.clear();
  readPos_ = endPos_ = 0;
  return rest;
}

}  // namespace pigeon::wire
