#include "metrics/LatencyHistogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

using pigeon::metrics::LatencyHistogram;

namespace {

constexpr double kBound = LatencyHistogram::kMaxRelativeError;

std::int64_t exactPercentile(const std::vector<std::int64_t>& sorted, double percent) {
  return sorted[LatencyHistogram::rankFor(percent, sorted.size()) - 1];
}

void expectPercentilesWithinBound(std::vector<std::int64_t> samples) {
  LatencyHistogram h;
  for (auto v : samples) h.record(v);
  std::sort(samples.begin(), samples.end());
  for (double q : {0.0, 0.1, 1.0, 10.0, 25.0, 50.0, 75.0, 90.0, 99.0, 99.9, 99.99, 100.0}) {
    const auto exact = exactPercentile(samples, q);
    const auto estimate = h.percentile(q);
    EXPECT_LE(std::abs(static_cast<double>(estimate - exact)), static_cast<double>(exact) * kBound)
        << "p" << q << " exact " << exact << " estimate " << estimate;
  }
}

}  // namespace

TEST(LatencyHistogram, StatesABoundOfAtMostOnePercent) {
  static_assert(LatencyHistogram::kMaxRelativeError <= 0.01);
  EXPECT_DOUBLE_EQ(kBound, 1.0 / 256);
}

TEST(LatencyHistogram, NearestRankIsExactForSimpleCounts) {
  EXPECT_EQ(LatencyHistogram::rankFor(50, 10), 5u);
  EXPECT_EQ(LatencyHistogram::rankFor(50, 11), 6u);
  EXPECT_EQ(LatencyHistogram::rankFor(99.9, 1000), 999u);
  EXPECT_EQ(LatencyHistogram::rankFor(99.9, 1001), 1000u);
  EXPECT_EQ(LatencyHistogram::rankFor(0, 7), 1u);
  EXPECT_EQ(LatencyHistogram::rankFor(100, 7), 7u);
  EXPECT_EQ(LatencyHistogram::rankFor(50, 0), 0u);
}

TEST(LatencyHistogram, EveryBucketMidpointIsWithinTheBoundOfItsValues) {
  // Both edges of the buckets around every power of two, and a few between.
  for (int e = 0; e < 63; ++e) {
    const std::uint64_t base = std::uint64_t{1} << e;
    for (std::uint64_t v : {base, base + 1, base + base / 3, base * 2 - 1}) {
      if (v > static_cast<std::uint64_t>(INT64_MAX)) continue;
      const auto index = LatencyHistogram::indexOf(v);
      ASSERT_LT(index, LatencyHistogram::kBuckets);
      const auto mid = static_cast<double>(LatencyHistogram::midpointOf(index));
      EXPECT_LE(std::abs(mid - static_cast<double>(v)), static_cast<double>(v) * kBound) << v;
    }
  }
  EXPECT_EQ(LatencyHistogram::indexOf(INT64_MAX), LatencyHistogram::kBuckets - 1);
}

TEST(LatencyHistogram, SmallValuesAreExact) {
  LatencyHistogram h;
  for (std::int64_t v = 1; v <= 200; ++v) h.record(v);
  EXPECT_EQ(h.percentile(50), 100);
  EXPECT_EQ(h.percentile(90), 180);
  EXPECT_EQ(h.percentile(99), 198);
  EXPECT_EQ(h.minNs(), 1);
  EXPECT_EQ(h.maxNs(), 200);
  EXPECT_DOUBLE_EQ(h.meanNs(), 100.5);
  EXPECT_EQ(h.count(), 200u);
}

TEST(LatencyHistogram, PercentilesOfLogUniformSamplesAreWithinTheBound) {
  std::mt19937_64 rng(1149);
  std::uniform_real_distribution<double> exponent(0.0, std::log(1e12));
  std::vector<std::int64_t> samples;
  for (int i = 0; i < 200'000; ++i) {
    samples.push_back(static_cast<std::int64_t>(std::exp(exponent(rng))));
  }
  expectPercentilesWithinBound(samples);
}

TEST(LatencyHistogram, PercentilesOfATightLatencyClusterAreWithinTheBound) {
  // Loopback-like: ~20 us with a long tail.
  std::mt19937_64 rng(42);
  std::normal_distribution<double> body(20'000.0, 1'500.0);
  std::exponential_distribution<double> tail(1.0 / 200'000.0);
  std::vector<std::int64_t> samples;
  for (int i = 0; i < 100'000; ++i) {
    const double v = (i % 100 == 0) ? 20'000.0 + tail(rng) : body(rng);
    samples.push_back(std::max<std::int64_t>(0, static_cast<std::int64_t>(v)));
  }
  expectPercentilesWithinBound(samples);
}

TEST(LatencyHistogram, MinMaxAndMeanAreExact) {
  LatencyHistogram h;
  for (std::int64_t v : {std::int64_t{1'000'003}, std::int64_t{7}, std::int64_t{123'456'789'012}}) {
    h.record(v);
  }
  EXPECT_EQ(h.minNs(), 7);
  EXPECT_EQ(h.maxNs(), 123'456'789'012);
  EXPECT_DOUBLE_EQ(h.meanNs(), (1'000'003.0 + 7.0 + 123'456'789'012.0) / 3);
  EXPECT_EQ(h.percentile(0), 7);
  EXPECT_EQ(h.percentile(100), 123'456'789'012);
}

TEST(LatencyHistogram, AnEmptyHistogramReportsZeros) {
  const LatencyHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.minNs(), 0);
  EXPECT_EQ(h.maxNs(), 0);
  EXPECT_EQ(h.meanNs(), 0.0);
  EXPECT_EQ(h.percentile(99), 0);
}

TEST(LatencyHistogram, NegativeValuesAreRecordedAsZeroAndCounted) {
  LatencyHistogram h;
  h.record(-5);
  h.record(10);
  EXPECT_EQ(h.negatives(), 1u);
  EXPECT_EQ(h.minNs(), 0);
  EXPECT_EQ(h.count(), 2u);
}

TEST(LatencyHistogram, MergeEqualsRecordingEverythingInOne) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<std::int64_t> value(0, 50'000'000);
  LatencyHistogram a, b, all;
  for (int i = 0; i < 10'000; ++i) {
    const auto v = value(rng);
    (i % 3 == 0 ? a : b).record(v);
    all.record(v);
  }
  a.merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.minNs(), all.minNs());
  EXPECT_EQ(a.maxNs(), all.maxNs());
  EXPECT_NEAR(a.meanNs(), all.meanNs(), 1e-6 * all.meanNs());
  for (double q : {50.0, 90.0, 99.0, 99.9}) EXPECT_EQ(a.percentile(q), all.percentile(q));
}

TEST(LatencyHistogram, MergingAnEmptyHistogramChangesNothing) {
  LatencyHistogram a;
  a.record(500);
  a.merge(LatencyHistogram{});
  EXPECT_EQ(a.count(), 1u);
  EXPECT_EQ(a.minNs(), 500);
  LatencyHistogram empty;
  empty.merge(a);
  EXPECT_EQ(empty.minNs(), 500);
  EXPECT_EQ(empty.maxNs(), 500);
}
