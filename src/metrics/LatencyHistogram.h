#pragma once

#include <bit>
#include <cstdint>
#include <vector>

namespace pigeon::metrics {

// A log-linear (HDR-like) histogram of non-negative nanosecond values over
// the whole int64 range, in fixed memory (kBuckets counters, ~57 KiB).
//
// Layout: values below 2 * kSubBuckets (256) each have a bucket of their own
// and are exact. Above, every power-of-two range [2^e, 2^(e+1)) is cut into
// kSubBuckets (128) equal buckets of width 2^(e-7).
//
// Error bound: a percentile is reported as the midpoint of the bucket that
// holds the sample of that rank, clamped to [min, max]. A bucket of width w
// starts at >= 128 * w, so the reported value differs from the exact sample
// by at most w / 2, i.e. by at most kMaxRelativeError = 1/256 (~0.39%) of
// the exact value. min, max (so percentiles of rank 1 and count), count
// and mean are exact (mean up to double rounding).
//
// Percentiles use the nearest-rank definition: the value of the sample of
// rank ceil(percent / 100 * count) (at least 1) in ascending order.
// Not thread safe.
class LatencyHistogram {
 public:
  static constexpr int kSubBits = 7;
  static constexpr std::uint64_t kSubBuckets = std::uint64_t{1} << kSubBits;
  static constexpr std::size_t kBuckets = ((63 - (kSubBits + 1)) << kSubBits) + 2 * kSubBuckets;
  static constexpr double kMaxRelativeError = 1.0 / (2 * kSubBuckets);

  LatencyHistogram();

  // Records one value. A negative value (a clock that went backwards, or
  // clocks not shared) is recorded as 0 and counted by negatives().
  void record(std::int64_t valueNs) {
    if (valueNs < 0) [[unlikely]] {
      ++negatives_;
      valueNs = 0;
    }
    ++counts_[indexOf(static_cast<std::uint64_t>(valueNs))];
    ++count_;
    sumNs_ += static_cast<double>(valueNs);
    if (valueNs < minNs_) minNs_ = valueNs;
    if (valueNs > maxNs_) maxNs_ = valueNs;
  }

  // Adds every value recorded in `other` to this histogram.
  void merge(const LatencyHistogram& other);

  std::uint64_t count() const { return count_; }
  std::uint64_t negatives() const { return negatives_; }
  // The following are 0 when count() is 0.
  std::int64_t minNs() const { return count_ == 0 ? 0 : minNs_; }
  std::int64_t maxNs() const { return maxNs_; }
  double meanNs() const { return count_ == 0 ? 0.0 : sumNs_ / static_cast<double>(count_); }
  // `percent` in [0, 100] (clamped): percentile(50), percentile(99.9).
  std::int64_t percentile(double percent) const;

  // Nearest rank of `percent` among `count` sorted samples, in [1, count]
  // (0 when count is 0). Percent resolution is 0.0001.
  static std::uint64_t rankFor(double percent, std::uint64_t count);

  // Bucket of a value: branch-free, no division.
  static std::size_t indexOf(std::uint64_t value) {
    const int shift = std::bit_width(value | kSubBuckets) - (kSubBits + 1);
    return (static_cast<std::size_t>(shift) << kSubBits) + static_cast<std::size_t>(value >> shift);
  }
  // The value reported for a bucket: its midpoint.
  static std::int64_t midpointOf(std::size_t index);

 private:
  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  std::uint64_t negatives_ = 0;
  double sumNs_ = 0.0;
  std::int64_t minNs_ = INT64_MAX;
  std::int64_t maxNs_ = 0;
};

}  // namespace pigeon::metrics
