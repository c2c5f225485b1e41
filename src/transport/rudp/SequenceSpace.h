#pragma once

#include <cstdint>

namespace pigeon::transport::rudp {

// Sequence numbers on the wire are 64 bits and start at a random initial
// sequence number (ISN) per direction, so a wire number may wrap past 2^64
// and is never compared with `<`. Inside, each message has an index: its
// distance from the ISN, counted from 0, which does not wrap (2^64
// messages). This class is the only place where one becomes the other.
//
// Wire arithmetic is modulo 2^64: a wire number "before" the ISN (an old
// or forged datagram) becomes a huge index, outside every window.
class SequenceSpace {
 public:
  explicit SequenceSpace(std::uint64_t isn) : isn_(isn) {}

  std::uint64_t toWire(std::uint64_t index) const { return isn_ + index; }
  std::uint64_t toIndex(std::uint64_t wire) const { return wire - isn_; }
  std::uint64_t isn() const { return isn_; }

 private:
  std::uint64_t isn_;
};

}  // namespace pigeon::transport::rudp
