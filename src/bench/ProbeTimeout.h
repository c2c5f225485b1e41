#pragma once

#include "transport/rudp/RttEstimator.h"

#include <cstdint>
#include <optional>
#include <string>

namespace pigeon::bench {

// How long a pingpong probe waits for its reply before it is declared lost
// and the next one goes out. As irtt does, the wait follows the round trips
// seen: 3 x (SRTT + 4 x RTTVAR) (RFC 6298's smoothing), at least kFloorNs so
// a scheduling hiccup on a fast path is not called a loss, at most kMaxNs.
// Before the first reply it is kInitialNs. A fixed wait (--timeout MS)
// replaces all of that. A reply that comes after its wait is still counted
// (late, not lost); the wait only decides when the next probe goes.
// Not thread safe.
class ProbeTimeout {
 public:
  static constexpr std::int64_t kFloorNs = 10'000'000;
  static constexpr std::int64_t kInitialNs = 1'000'000'000;
  static constexpr std::int64_t kMaxNs = 10'000'000'000;
  static constexpr int kRttMultiple = 3;

  explicit ProbeTimeout(std::optional<std::int64_t> fixedNs = std::nullopt);

  // The round trip of one reply. Negative samples are ignored.
  void addRoundTrip(std::int64_t rttNs);
  std::int64_t timeoutNs() const;
  // For the report: "adaptive (3 x (SRTT + 4 RTTVAR), 10 ms .. 10 s)" or
  // "fixed 250 ms (--timeout)".
  std::string describe() const;

 private:
  std::optional<std::int64_t> fixedNs_;
  transport::rudp::RttEstimator rtt_;
};

}  // namespace pigeon::bench
