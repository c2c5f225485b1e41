#include "bench/Pacer.h"

#include "wire/Clock.h"

#include <algorithm>

#include <sys/prctl.h>
#include <time.h>

namespace pigeon::bench {

namespace {
constexpr std::int64_t kSpinNs = 50'000;

// The kernel's absolute sleep alone: no spin, so it may end late by the
// timer's own lateness.
void sleepOnlyUntilNs(std::int64_t deadlineNs) {
  // steadyNowNs() is CLOCK_MONOTONIC on Linux, so the same epoch.
  timespec ts{static_cast<time_t>(deadlineNs / 1'000'000'000),
              static_cast<long>(deadlineNs % 1'000'000'000)};
  while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) != 0) {
  }
}
}  // namespace

void sleepUntilNs(std::int64_t deadlineNs) {
  std::int64_t now = wire::steadyNowNs();
  if (deadlineNs - now > kSpinNs) {
    sleepOnlyUntilNs(deadlineNs - kSpinNs);
    now = wire::steadyNowNs();
  }
  while (now < deadlineNs) now = wire::steadyNowNs();
}

Pacer::Pacer(double ratePerS, std::int64_t startNs)
    : ratePerS_(ratePerS),
      startNs_(startNs),
      wakeInBatches_(ratePerS * static_cast<double>(kMinWakeIntervalNs) > 1e9),
      lastWakeNs_(startNs - kMinWakeIntervalNs) {
  // A thread's sleeps may end up to its timer slack late (50 us by
  // default); a pacer that sleeps without spinning asks for 1 ns.
  if (wakeInBatches_) ::prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
}

std::int64_t Pacer::dueNs(std::uint64_t index) const {
  if (ratePerS_ <= 0) return startNs_;
  return startNs_ + static_cast<std::int64_t>(static_cast<double>(index) * 1e9 / ratePerS_);
}

std::int64_t Pacer::waitFor(std::uint64_t index) {
  if (ratePerS_ <= 0) return wire::steadyNowNs();
  const std::int64_t due = dueNs(index);
  std::int64_t now = wire::steadyNowNs();
  if (due > now) {
    if (wakeInBatches_) {
      sleepOnlyUntilNs(std::max(due, lastWakeNs_ + kMinWakeIntervalNs));
    } else {
      sleepUntilNs(due);
    }
    now = wire::steadyNowNs();
    lastWakeNs_ = now;
    ++wakes_;
  }
  slip_.record(now - due);
  return now;
}

}  // namespace pigeon::bench
