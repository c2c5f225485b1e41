#pragma once

namespace pigeon::metrics {

class LatencyHistogram;

// The percentiles of a latency-like distribution, in microseconds: the
// `latency_us` and `rtt_us` objects of a result. A plain value.
struct LatencySummary {
  double minUs = 0.0;
  double p50Us = 0.0;
  double p90Us = 0.0;
  double p99Us = 0.0;
  double p999Us = 0.0;
  double maxUs = 0.0;
  double meanUs = 0.0;

  // Reads a histogram of nanoseconds (nearest-rank percentiles, within its
  // kMaxRelativeError; min, max and mean exact).
  static LatencySummary fromHistogram(const LatencyHistogram& histogram);

  bool operator==(const LatencySummary&) const = default;
};

}  // namespace pigeon::metrics
