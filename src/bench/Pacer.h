#pragma once

#include "metrics/LatencyHistogram.h"

#include <cstdint>

namespace pigeon::bench {

// Smooth pacing: message i is due at start + i / rate, never in bursts of
// accumulated credit. Each wait records how late the sender actually was
// against that schedule (the "slip"), so a bench that could not keep its own
// schedule says so instead of blaming the network. A rate of 0 means as
// fast as possible: nothing is waited for and no slip is recorded.
// Not thread safe.
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

 private:
  double ratePerS_;
  std::int64_t startNs_;
  metrics::LatencyHistogram slip_;
};

// Sleeps until the steady clock reads `deadlineNs`: the kernel's absolute
// sleep for most of it, then a short spin for the last tens of
// microseconds, which a sleep alone overshoots.
void sleepUntilNs(std::int64_t deadlineNs);

}  // namespace pigeon::bench
