#pragma once

#include <cstdint>

namespace pigeon::lab {

// How much earlier than a copy's due time the emulator thread ends its
// sleep, so that waking late does not make the copy late: the thread
// sleeps until due - ns(), then spins (polls without sleeping) the rest.
// A timed sleep on this kind of machine (a VM, a busy host) overshoots by
// tens to hundreds of microseconds, and by how much changes with the load,
// so the margin follows what the thread's own sleeps did: it rises at once
// to an overshoot above it, and falls slowly (1/64 of the gap per sleep)
// when they are shorter, which keeps it near the overshoots' high tail
// without one old outlier costing spin time for ever. Bounded both ways:
// at least kMinNs, and never more than kMaxNs of spinning per copy.
// Sans I/O, not thread safe.
class WakeMargin {
 public:
  static constexpr std::int64_t kMinNs = 20'000;
  static constexpr std::int64_t kMaxNs = 2'000'000;
  static constexpr std::int64_t kInitialNs = 200'000;

  std::int64_t ns() const { return marginNs_; }
  // A timed sleep ended `overshootNs` after the time it was asked to end.
  void onTimedWake(std::int64_t overshootNs);

 private:
  std::int64_t marginNs_ = kInitialNs;
};

}  // namespace pigeon::lab
