#include "metrics/StreamStats.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>

using pigeon::metrics::SequenceTracker;
using pigeon::metrics::StreamStats;

namespace {

constexpr std::int64_t kMs = 1'000'000;

// Sequence s is sent at s ms and arrives 5 ms later, in the order given.
StreamStats receive(std::initializer_list<std::uint64_t> sequences) {
  StreamStats stats;
  std::int64_t nowNs = 0;
  for (auto s : sequences) {
    nowNs = std::max(nowNs, static_cast<std::int64_t>(s) * kMs + 5 * kMs);
    stats.recordArrival(s, static_cast<std::int64_t>(s) * kMs, nowNs, 100);
  }
  return stats;
}

}  // namespace

TEST(StreamStats, CountsLossDuplicatesAndReorderingOfAShuffledStream) {
  StreamStats stats = receive({1, 2, 4, 3, 3, 6});
  stats.finish(7);  // sequences 1..7 sent
  EXPECT_EQ(stats.sent(), 7u);
  EXPECT_EQ(stats.delivered(), 5u);
  EXPECT_EQ(stats.lost(), 2u);  // 5 and 7
  EXPECT_EQ(stats.duplicates(), 1u);
  EXPECT_EQ(stats.reordered(), 1u);  // 3, below the highest (4)
  EXPECT_EQ(stats.reorderExtent(), 1u);
  EXPECT_EQ(stats.arrivals(), 6u);
}

TEST(StreamStats, CountsLossAfterTheLastArrival) {
  StreamStats stats = receive({0, 1, 2, 3, 4});
  stats.finish(8);
  EXPECT_EQ(stats.lost(), 3u);
}

TEST(StreamStats, NeverLetsADuplicateCancelALoss) {
  // 4 sent, 4 arrivals, but only 2 distinct messages: 2 lost, not 0.
  StreamStats stats = receive({1, 1, 1, 2});
  stats.finish(4);
  EXPECT_EQ(stats.arrivals(), 4u);
  EXPECT_EQ(stats.delivered(), 2u);
  EXPECT_EQ(stats.duplicates(), 2u);
  EXPECT_EQ(stats.lost(), 2u);
}

TEST(StreamStats, LostIsZeroBeforeFinishAndNeverNegative) {
  StreamStats stats = receive({0, 1, 2});
  EXPECT_FALSE(stats.finished());
  EXPECT_EQ(stats.lost(), 0u);
  stats.finish(2);  // a sender that under-reports: no wrap-around
  EXPECT_EQ(stats.lost(), 0u);
}

TEST(StreamStats, CountsUniqueArrivalsAboveTheDeadlineAsLateButDelivered) {
  StreamStats stats;
  stats.setDeadlineNs(10 * kMs);
  EXPECT_FALSE(stats.recordArrival(0, 0, 5 * kMs, 10).late);
  EXPECT_FALSE(stats.recordArrival(1, 0, 10 * kMs, 10).late);  // exactly at it: on time
  EXPECT_TRUE(stats.recordArrival(2, 0, 15 * kMs, 10).late);
  EXPECT_TRUE(stats.recordArrival(3, 0, 20 * kMs, 10).late);
  EXPECT_FALSE(stats.recordArrival(3, 0, 30 * kMs, 10).late);  // a duplicate is never late
  stats.finish(4);
  EXPECT_EQ(stats.late(), 2u);
  EXPECT_EQ(stats.delivered(), 4u);
  EXPECT_EQ(stats.lost(), 0u);
  EXPECT_EQ(stats.deadlineNs(), 10 * kMs);
}

TEST(StreamStats, CountsNothingLateWithoutADeadline) {
  StreamStats stats;
  stats.recordArrival(0, 0, 1'000 * kMs, 10);
  EXPECT_EQ(stats.late(), 0u);
  EXPECT_FALSE(stats.deadlineNs().has_value());
}

TEST(StreamStats, WorksWithSequenceNumbersNear2To63) {
  const std::uint64_t base = (std::uint64_t{1} << 63) - 2;
  StreamStats stats;
  for (std::uint64_t s : {base, base + 1, base + 3, base + 2, base + 2, base + 5}) {
    stats.recordArrival(s, 0, 1000, 10);
  }
  stats.finish(7);  // base .. base + 6
  EXPECT_EQ(stats.delivered(), 5u);
  EXPECT_EQ(stats.lost(), 2u);
  EXPECT_EQ(stats.duplicates(), 1u);
  EXPECT_EQ(stats.reordered(), 1u);
  EXPECT_EQ(stats.ipdv().pairs(), 3u);  // (base, +1), (+1, +2) and (+2, +3); +5 has no neighbour
}

TEST(StreamStats, MeasuresLatencyOfUniqueArrivalsOnly) {
  StreamStats stats;
  stats.recordArrival(0, 0, 2 * kMs, 10);
  stats.recordArrival(1, 1 * kMs, 4 * kMs, 10);
  stats.recordArrival(1, 1 * kMs, 900 * kMs, 10);  // a duplicate, much later
  EXPECT_EQ(stats.latency().count(), 2u);
  EXPECT_EQ(stats.latency().maxNs(), 3 * kMs);
  EXPECT_EQ(stats.jitter().packets(), 2u);
  EXPECT_DOUBLE_EQ(stats.jitter().jitterNs(), kMs / 16.0);  // |D| = 1 ms
  EXPECT_EQ(stats.ipdv().pairs(), 1u);
  EXPECT_DOUBLE_EQ(stats.ipdv().meanAbsNs(), 1.0 * kMs);
}

TEST(StreamStats, SeparatesThroughputOfAllBytesFromGoodputOfUniquePayload) {
  StreamStats stats;
  stats.recordArrival(0, 0, 0, 100, 32);
  stats.recordArrival(1, 0, 500 * kMs, 100, 32);
  stats.recordArrival(1, 0, 600 * kMs, 100, 32);  // duplicate: throughput only
  stats.recordArrival(2, 0, 1000 * kMs, 100, 32);
  stats.finish(3);
  EXPECT_EQ(stats.bytesReceived(), 4u * 132);
  EXPECT_EQ(stats.goodputBytes(), 300u);
  EXPECT_EQ(stats.elapsedNs(), 1000 * kMs);  // first to last arrival
  EXPECT_DOUBLE_EQ(stats.throughputMbps(), 4 * 132 * 8 / 1e6);
  EXPECT_DOUBLE_EQ(stats.goodputMbps(), 300 * 8 / 1e6);
  EXPECT_DOUBLE_EQ(stats.deliveredPerS(), 3.0);
}

TEST(StreamStats, UsesAnElapsedTimeWhenGivenOne) {
  StreamStats stats;
  stats.recordArrival(0, 0, 0, 1000);
  stats.finish(1, 2000 * kMs);
  EXPECT_EQ(stats.elapsedNs(), 2000 * kMs);
  EXPECT_DOUBLE_EQ(stats.goodputMbps(), 1000 * 8 / 2.0 / 1e6);
}

TEST(StreamStats, ReportsZeroRatesOverZeroTime) {
  StreamStats stats;
  stats.recordArrival(0, 0, 7, 1000);
  stats.finish(1);
  EXPECT_EQ(stats.elapsedNs(), 0);
  EXPECT_EQ(stats.throughputMbps(), 0.0);
  EXPECT_EQ(stats.deliveredPerS(), 0.0);
}

TEST(StreamStats, CountsTooOldArrivalsApartAndNotAsDelivered) {
  StreamStats stats;
  const std::uint64_t high = SequenceTracker::kWindow + 100;
  stats.recordArrival(high, 0, 10, 50);
  const auto verdict = stats.recordArrival(50, 0, 20, 50);
  EXPECT_EQ(verdict.arrival.kind, SequenceTracker::Kind::kTooOld);
  EXPECT_EQ(stats.tooOld(), 1u);
  EXPECT_EQ(stats.delivered(), 1u);
  EXPECT_EQ(stats.latency().count(), 1u);
  EXPECT_EQ(stats.bytesReceived(), 100u);
  EXPECT_EQ(stats.goodputBytes(), 50u);
}

TEST(StreamStats, TellsTheCallerWhatEachArrivalWas) {
  StreamStats stats;
  EXPECT_EQ(stats.recordArrival(0, 0, 10, 1).arrival.kind, SequenceTracker::Kind::kInOrder);
  const auto gap = stats.recordArrival(3, 0, 20, 1);
  EXPECT_EQ(gap.arrival.kind, SequenceTracker::Kind::kGap);
  EXPECT_EQ(gap.arrival.missing, 2u);
  EXPECT_EQ(stats.recordArrival(1, 0, 30, 1).arrival.kind, SequenceTracker::Kind::kReordered);
  const auto dup = stats.recordArrival(1, 5, 40, 1);
  EXPECT_EQ(dup.arrival.kind, SequenceTracker::Kind::kDuplicate);
  EXPECT_EQ(dup.latencyNs, 35);
}
