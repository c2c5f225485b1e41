#pragma once

#include <array>
#include <cstdint>

namespace pigeon::metrics {

// Classifies each arriving sequence number of one stream against those seen
// before: in order, after a gap, reordered (RFC 4737: below the highest seen)
// or a duplicate. Memory is fixed: a bitmap of the last kWindow numbers
// below the highest, so a duplicate is recognised within that window. An
// arrival older than the window cannot be told apart and is kTooOld.
// Sequence numbers are 64-bit and start at 0; they do not wrap in practice.
//
// With a ceiling (the highest number the sender can have sent), a number
// above it is kImplausible: counted, and it changes nothing else, so one
// damaged number cannot become "the highest seen" and make every later
// arrival look too old. Not thread safe.
class SequenceTracker {
 public:
  static constexpr std::uint64_t kWindow = 1u << 16;

  enum class Kind {
    kInOrder,      // exactly the next number expected
    kGap,          // above the next expected: `missing` numbers skipped so far
    kReordered,    // below the highest seen and new: `extent` = highest - seq
    kDuplicate,    // seen before
    kTooOld,       // below the window; neither new nor duplicate can be told
    kImplausible,  // above the ceiling: the sender cannot have sent it
  };

  struct Arrival {
    Kind kind;
    std::uint64_t missing = 0;  // kGap: numbers between the highest and this one
    std::uint64_t extent = 0;   // kReordered: how far below the highest
  };

  Arrival record(std::uint64_t sequence);

  // Numbers above `highestSequence` are kImplausible from now on.
  void setCeiling(std::uint64_t highestSequence) { ceiling_ = highestSequence; }
  std::uint64_t ceiling() const { return ceiling_; }

  bool any() const { return any_; }
  std::uint64_t highest() const { return highest_; }
  std::uint64_t unique() const { return unique_; }
  std::uint64_t duplicates() const { return duplicates_; }
  std::uint64_t reordered() const { return reordered_; }
  std::uint64_t maxReorderExtent() const { return maxExtent_; }
  std::uint64_t tooOld() const { return tooOld_; }
  std::uint64_t implausible() const { return implausible_; }

 private:
  bool testAndSet(std::uint64_t sequence);
  void clearRange(std::uint64_t from, std::uint64_t count);

  std::array<std::uint64_t, kWindow / 64> seen_{};
  bool any_ = false;
  std::uint64_t highest_ = 0;
  std::uint64_t unique_ = 0;
  std::uint64_t duplicates_ = 0;
  std::uint64_t reordered_ = 0;
  std::uint64_t maxExtent_ = 0;
  std::uint64_t tooOld_ = 0;
  std::uint64_t implausible_ = 0;
  std::uint64_t ceiling_ = UINT64_MAX;  // no ceiling
};

}  // namespace pigeon::metrics
