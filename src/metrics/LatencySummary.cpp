#include "metrics/LatencySummary.h"

#include "metrics/LatencyHistogram.h"

namespace pigeon::metrics {

namespace {

double toUs(std::int64_t ns) { return static_cast<double>(ns) / 1000.0; }

}  // namespace

LatencySummary LatencySummary::fromHistogram(const LatencyHistogram& histogram) {
  LatencySummary s;
  s.minUs = toUs(histogram.minNs());
  s.p50Us = toUs(histogram.percentile(50.0));
  s.p90Us = toUs(histogram.percentile(90.0));
  s.p99Us = toUs(histogram.percentile(99.0));
  s.p999Us = toUs(histogram.percentile(99.9));
  s.maxUs = toUs(histogram.maxNs());
  s.meanUs = histogram.meanNs() / 1000.0;
  return s;
}

}  // namespace pigeon::metrics
