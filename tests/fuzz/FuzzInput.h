#pragma once

// Reads typed values off the front of a fuzzer's input, for targets that
// need a few choices (split points, a mode) besides the bytes under test.
// Running out gives zeros, never a read past the end.

#include "wire/Bytes.h"

#include <cstddef>
#include <cstdint>

namespace pigeon::fuzz {

class FuzzInput {
 public:
  FuzzInput(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}

  std::uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  std::uint32_t u32() {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | byte();
    return v;
  }
  std::uint64_t u64() { return (static_cast<std::uint64_t>(u32()) << 32) | u32(); }

  // Up to `n` of the remaining bytes.
  wire::ByteSpan take(std::size_t n) {
    if (n > size_ - pos_) n = size_ - pos_;
    const wire::ByteSpan out(data_ + pos_, n);
    pos_ += n;
    return out;
  }
  wire::ByteSpan rest() { return take(size_ - pos_); }
  std::size_t remaining() const { return size_ - pos_; }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

}  // namespace pigeon::fuzz
