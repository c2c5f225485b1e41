#pragma once

#include "metrics/LatencyHistogram.h"

#include <cstdint>

namespace pigeon::bench {

// Smooth pacing: message i is due at start + i / rate, never in bursts of
// accumulated credit. Each wait records how late the sender actually was
// against that schedule (the "slip"), so a bench that could not keep its own
// schedule says so instead of blaming the network. A rate of 0 means as
// fast as possible: nothing is waited for and no slip is recorded.
//
// Above 10,000 messages a second (under 100 us apart) it wakes at most every
// 100 us and the caller sends what fell due since, each stamped when it
// leaves: waking for every message meant a 50 us spin per message, a whole
// core at 50,000/s, taken from the very emulator and receiver it measures.
// Not thread safe; the thread that waits is the one that constructs it.
class Pacer {
 public:
  Pacer(double ratePerS, std::int64_t startNs);

  // Waits until message `index` is due; returns the time it was sent at
  // (now), having recorded its slip.
  std::int64_t waitFor(std::uint64_t index);

  // When message `index` is due.
  std::int64_t dueNs(std::uint64_t index) const;

  const metrics::LatencyHistogram& slip() const { return slip_; }
  bool paced() const { return ratePerS_ > 0; }
  // How many times a wait slept (a message already due is not a wake).
  std::uint64_t wakes() const { return wakes_; }

  // The fewest nanoseconds between two wakes.
  static constexpr std::int64_t kMinWakeIntervalNs = 100'000;

 private:
  double ratePerS_;
  std::int64_t startNs_;
  bool wakeInBatches_;
  std::int64_t lastWakeNs_;
  std::uint64_t wakes_ = 0;
  metrics::LatencyHistogram slip_;
};

// Sleeps until the steady clock reads `deadlineNs`: the kernel's absolute
// sleep for most of it, then a short spin for the last tens of
// microseconds, which a sleep alone overshoots.
void sleepUntilNs(std::int64_t deadlineNs);

}  // namespace pigeon::bench
