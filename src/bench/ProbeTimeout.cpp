#include "bench/ProbeTimeout.h"

#include <algorithm>
#include <cstdio>

namespace pigeon::bench {

namespace {
// The estimator's own RTO is not used here: only its SRTT and RTTVAR.
constexpr std::int64_t kGranularityNs = 1'000;
}  // namespace

ProbeTimeout::ProbeTimeout(std::optional<std::int64_t> fixedNs)
    : fixedNs_(fixedNs), rtt_(kInitialNs, 0, kMaxNs, kGranularityNs) {}

void ProbeTimeout::addRoundTrip(std::int64_t rttNs) { rtt_.addSample(rttNs); }

std::int64_t ProbeTimeout::timeoutNs() const {
  if (fixedNs_) return *fixedNs_;
  if (!rtt_.hasSample()) return kInitialNs;
  const std::int64_t spread = rtt_.srttNs() + 4 * rtt_.rttvarNs();
  return std::clamp(kRttMultiple * spread, kFloorNs, kMaxNs);
}

std::string ProbeTimeout::describe() const {
  char text[96];
  if (fixedNs_) {
    std::snprintf(text, sizeof text, "fixed %g ms (--timeout)",
                  static_cast<double>(*fixedNs_) / 1e6);
  } else {
    std::snprintf(text, sizeof text, "adaptive: %d x (SRTT + 4 RTTVAR), %g ms to %g s",
                  kRttMultiple, static_cast<double>(kFloorNs) / 1e6,
                  static_cast<double>(kMaxNs) / 1e9);
  }
  return text;
}

}  // namespace pigeon::bench
