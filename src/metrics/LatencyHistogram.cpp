#include "metrics/LatencyHistogram.h"

#include <algorithm>
#include <cmath>

namespace pigeon::metrics {

LatencyHistogram::LatencyHistogram() : counts_(kBuckets, 0) {}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  if (other.count_ == 0) return;
  for (std::size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  negatives_ += other.negatives_;
  sumNs_ += other.sumNs_;
  minNs_ = std::min(minNs_, other.minNs_);
  maxNs_ = std::max(maxNs_, other.maxNs_);
}

std::uint64_t LatencyHistogram::rankFor(double percent, std::uint64_t count) {
  if (count == 0) return 0;
  constexpr std::uint64_t kMillion = 1'000'000;
  // percent in millionths of the whole, so 99.9 is exactly 999000.
  const double clamped = std::clamp(std::isnan(percent) ? 0.0 : percent, 0.0, 100.0);
  const auto ppm = static_cast<std::uint64_t>(std::llround(clamped * 10'000.0));
  // ceil(count * ppm / 1e6) without overflow: split count by 1e6.
  const std::uint64_t whole = count / kMillion;
  const std::uint64_t rest = count % kMillion;
  const std::uint64_t rank = whole * ppm + (rest * ppm + kMillion - 1) / kMillion;
  return std::clamp<std::uint64_t>(rank, 1, count);
}

std::int64_t LatencyHistogram::midpointOf(std::size_t index) {
  if (index < 2 * kSubBuckets) return static_cast<std::int64_t>(index);
  const int shift = static_cast<int>(index >> kSubBits) - 1;
  const std::uint64_t sub = (index & (kSubBuckets - 1)) | kSubBuckets;
  const std::uint64_t low = sub << shift;
  return static_cast<std::int64_t>(low + (std::uint64_t{1} << (shift - 1)));
}

std::int64_t LatencyHistogram::percentile(double percent) const {
  if (count_ == 0) return 0;
  const std::uint64_t rank = rankFor(percent, count_);
  if (rank == 1) return minNs_;  // the extremes are known exactly
  if (rank == count_) return maxNs_;
  const std::size_t first = indexOf(static_cast<std::uint64_t>(minNs_));
  const std::size_t last = indexOf(static_cast<std::uint64_t>(maxNs_));
  std::uint64_t seen = 0;
  for (std::size_t i = first; i <= last; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::clamp(midpointOf(i), minNs_, maxNs_);
  }
  return maxNs_;  // not reached: the buckets hold count_ values
}

}  // namespace pigeon::metrics
