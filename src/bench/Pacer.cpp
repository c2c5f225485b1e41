#include "bench/Pacer.h"

#include "wire/Clock.h"

#include <time.h>

namespace pigeon::bench {

namespace {
constexpr std::int64_t kSpinNs = 50'000;
}

void sleepUntilNs(std::int64_t deadlineNs) {
  std::int64_t now = wire::steadyNowNs();
  if (deadlineNs - now > kSpinNs) {
    // steadyNowNs() is CLOCK_MONOTONIC on Linux, so the same epoch.
    const std::int64_t wake = deadlineNs - kSpinNs;
    timespec ts{static_cast<time_t>(wake / 1'000'000'000), static_cast<long>(wake % 1'000'000'000)};
    while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) != 0) {
    }
    now = wire::steadyNowNs();
  }
  while (now < deadlineNs) now = wire::steadyNowNs();
}

Pacer::Pacer(double ratePerS, std::int64_t startNs) : ratePerS_(ratePerS), startNs_(startNs) {}

std::int64_t Pacer::dueNs(std::uint64_t index) const {
  if (ratePerS_ <= 0) return startNs_;
  return startNs_ + static_cast<std::int64_t>(static_cast<double>(index) * 1e9 / ratePerS_);
}

std::int64_t Pacer::waitFor(std::uint64_t index) {
  if (ratePerS_ <= 0) return wire::steadyNowNs();
  const std::int64_t due = dueNs(index);
  sleepUntilNs(due);
  const std::int64_t now = wire::steadyNowNs();
  slip_.record(now - due);
  return now;
}

}  // namespace pigeon::bench
