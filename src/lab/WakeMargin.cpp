#include "lab/WakeMargin.h"

#include <algorithm>

namespace pigeon::lab {

namespace {
// The margin falls by 1/2^kDecayShift of its distance to a shorter
// overshoot per sleep.
constexpr int kDecayShift = 6;
}  // namespace

void WakeMargin::onTimedWake(std::int64_t overshootNs) {
  const std::int64_t overshoot = std::clamp(overshootNs, kMinNs, kMaxNs);
  if (overshoot >= marginNs_) {
    marginNs_ = overshoot;
  } else {
    marginNs_ -= (marginNs_ - overshoot) >> kDecayShift;
  }
}

}  // namespace pigeon::lab
