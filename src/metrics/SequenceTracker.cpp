#include "metrics/SequenceTracker.h"

#include <algorithm>

namespace pigeon::metrics {

bool SequenceTracker::testAndSet(std::uint64_t sequence) {
  const std::uint64_t bit = sequence % kWindow;
  std::uint64_t& word = seen_[bit / 64];
  const std::uint64_t mask = std::uint64_t{1} << (bit % 64);
  const bool was = (word & mask) != 0;
  word |= mask;
  return was;
}

void SequenceTracker::clearRange(std::uint64_t from, std::uint64_t count) {
  // A count, not an end: an end of 2^64 would wrap to 0.
  if (count >= kWindow) {
    seen_.fill(0);
    return;
  }
  for (std::uint64_t s = from; s != from + count; ++s) {
    const std::uint64_t bit = s % kWindow;
    seen_[bit / 64] &= ~(std::uint64_t{1} << (bit % 64));
  }
}

SequenceTracker::Arrival SequenceTracker::record(std::uint64_t sequence) {
  if (sequence > ceiling_) {
    ++implausible_;
    return {Kind::kImplausible};
  }
  if (!any_) {
    any_ = true;
    highest_ = sequence;
    unique_ = 1;
    testAndSet(sequence);
    if (sequence == 0) return {Kind::kInOrder};
    return {Kind::kGap, sequence};
  }
  if (sequence > highest_) {
    // Numbers skipped now enter the window unseen; their bits may still hold
    // marks from kWindow numbers ago.
    clearRange(highest_ + 1, sequence - highest_);
    const std::uint64_t missing = sequence - highest_ - 1;
    highest_ = sequence;
    testAndSet(sequence);
    ++unique_;
    if (missing == 0) return {Kind::kInOrder};
    return {Kind::kGap, missing};
  }
  const std::uint64_t extent = highest_ - sequence;
  if (extent >= kWindow) {
    ++tooOld_;
    return {Kind::kTooOld, 0, extent};
  }
  if (testAndSet(sequence)) {
    ++duplicates_;
    return {Kind::kDuplicate};
  }
  ++unique_;
  ++reordered_;
  maxExtent_ = std::max(maxExtent_, extent);
  return {Kind::kReordered, 0, extent};
}

}  // namespace pigeon::metrics
