#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace pigeon::link {

// The copies a relay holds until they are due, in the order they are due
// (FIFO among copies due at the same time): a min-heap on (due time, order
// of arrival) over a pool of buffers that are reused, so holding a copy
// costs no allocation once the pool has grown to the backlog. No clock and
// no sockets: the caller says what time it is, so a test can drive it with
// a fake clock. Bounded in copies and in bytes. Not thread safe.
class DelayQueue {
 public:
  struct Copy {
    std::int64_t dueNs = 0;
    std::uint64_t order = 0;  // of push: the order the copies came in
    bool up = false;          // client -> target
    bool control = false;     // a pigeon control frame (RelayCounters)
    std::vector<std::uint8_t> bytes;
  };

  DelayQueue(std::size_t maxCopies, std::size_t maxBytes)
      : maxCopies_(maxCopies), maxBytes_(maxBytes) {}

  // Keeps a copy of `bytes` until `dueNs` and returns where its bytes are
  // (the caller may change them, e.g. to corrupt one), or nullptr, keeping
  // nothing, when that would exceed either bound.
  std::uint8_t* push(std::int64_t dueNs, bool up, bool control,
                     std::span<const std::uint8_t> bytes);

  bool empty() const { return heap_.empty(); }
  std::size_t size() const { return heap_.size(); }
  std::size_t bytes() const { return bytes_; }
  // When the earliest copy is due; nothing when empty.
  std::optional<std::int64_t> nextDueNs() const;

  // Hands every copy due by `nowNs` to `release(const Copy&)`, earliest
  // first, and forgets it. Returns how many.
  template <typename Release>
  std::size_t releaseDue(std::int64_t nowNs, Release&& release) {
    std::size_t n = 0;
    while (!heap_.empty() && heap_.front().dueNs <= nowNs) {
      const std::size_t slot = popFront();
      release(static_cast<const Copy&>(slots_[slot]));
      recycle(slot);
      ++n;
    }
    return n;
  }

  // Forgets every copy.
  void clear();

 private:
  struct Entry {
    std::int64_t dueNs;
    std::uint64_t order;
    std::size_t slot;
  };
  static bool dueLater(const Entry& a, const Entry& b) {
    return a.dueNs != b.dueNs ? a.dueNs > b.dueNs : a.order > b.order;
  }
  std::size_t popFront();
  void recycle(std::size_t slot);

  std::size_t maxCopies_;
  std::size_t maxBytes_;
  std::vector<Entry> heap_;
  std::vector<Copy> slots_;        // a copy's buffer keeps its capacity when recycled
  std::vector<std::size_t> free_;  // slots not in the heap
  std::size_t bytes_ = 0;          // of the copies held
  std::size_t retained_ = 0;       // capacity of every buffer in slots_
  std::uint64_t nextOrder_ = 0;
};

}  // namespace pigeon::link
