#include "metrics/TransportResult.h"

#include "metrics/StreamStats.h"

#include <gtest/gtest.h>

using pigeon::metrics::LatencyHistogram;
using pigeon::metrics::RunFacts;
using pigeon::metrics::StreamStats;
using pigeon::metrics::TransportResult;

namespace {

constexpr std::int64_t kUs = 1'000;

// 0..9 sent at 1 ms intervals; 0..7 arrive, 3 twice; latency 100 us, then
// 300 us for the last one.
StreamStats sampleStream() {
  StreamStats stats;
  for (std::int64_t s = 0; s < 8; ++s) {
    const std::int64_t sendNs = s * 1000 * kUs;
    const std::int64_t latencyNs = (s == 7 ? 300 : 100) * kUs;
    stats.recordArrival(static_cast<std::uint64_t>(s), sendNs, sendNs + latencyNs, 1000);
    if (s == 3) stats.recordArrival(3, sendNs, sendNs + latencyNs + 10, 1000);
  }
  stats.finish(10);
  return stats;
}

}  // namespace

TEST(TransportResult, TakesCountsRatesAndLatencyFromTheStream) {
  const auto stats = sampleStream();
  const auto r = TransportResult::fromStream("udp", stats);
  EXPECT_EQ(r.transport, "udp");
  EXPECT_EQ(r.sent, 10u);
  EXPECT_EQ(r.delivered, 8u);
  EXPECT_EQ(r.lost, 2u);
  EXPECT_EQ(r.duplicates, 1u);
  EXPECT_EQ(r.reordered, 0u);
  EXPECT_FALSE(r.late.has_value());  // no deadline
  ASSERT_TRUE(r.latencyUs.has_value());
  EXPECT_DOUBLE_EQ(r.latencyUs->minUs, 100.0);
  EXPECT_NEAR(r.latencyUs->p50Us, 100.0, 100.0 * LatencyHistogram::kMaxRelativeError);
  EXPECT_DOUBLE_EQ(r.latencyUs->maxUs, 300.0);
  EXPECT_DOUBLE_EQ(r.latencyUs->meanUs, 125.0);
  ASSERT_TRUE(r.jitterUs.has_value());
  EXPECT_DOUBLE_EQ(*r.jitterUs, 200.0 / 16);  // one |D| of 200 us
  ASSERT_TRUE(r.ipdvUs.has_value());
  EXPECT_DOUBLE_EQ(*r.ipdvUs, 200.0 / 7);  // 7 pairs, one of 200 us
  EXPECT_FALSE(r.rttUs.has_value());
  EXPECT_FALSE(r.socketDrops.has_value());
  EXPECT_FALSE(r.lostOutbound.has_value());
  EXPECT_DOUBLE_EQ(r.elapsedS, stats.elapsedNs() / 1e9);
  EXPECT_DOUBLE_EQ(r.goodputMbps, stats.goodputMbps());
  EXPECT_TRUE(r.counters.empty());
}

TEST(TransportResult, ReportsLateOnlyWithADeadline) {
  StreamStats stats;
  stats.setDeadlineNs(200 * kUs);
  stats.recordArrival(0, 0, 100 * kUs, 1);
  stats.recordArrival(1, 0, 300 * kUs, 1);
  stats.finish(2);
  EXPECT_EQ(TransportResult::fromStream("tcp", stats).late, 1u);
}

TEST(TransportResult, LeavesLatencyNullWhenNothingArrived) {
  StreamStats stats;
  stats.finish(5);
  const auto r = TransportResult::fromStream("udp", stats);
  EXPECT_EQ(r.lost, 5u);
  EXPECT_FALSE(r.latencyUs.has_value());
  EXPECT_FALSE(r.jitterUs.has_value());
  EXPECT_FALSE(r.ipdvUs.has_value());
  EXPECT_EQ(r.throughputMbps, 0.0);
}

TEST(TransportResult, PutsAnEchoStreamsLatencyUnderRttAndSplitsItsLoss) {
  RunFacts facts;
  facts.roundTrip = true;
  facts.reflectorReceived = 9;
  const auto r = TransportResult::fromStream("udp", sampleStream(), facts);
  EXPECT_FALSE(r.latencyUs.has_value());
  ASSERT_TRUE(r.rttUs.has_value());
  EXPECT_DOUBLE_EQ(r.rttUs->maxUs, 300.0);
  EXPECT_EQ(r.lostOutbound, 1u);  // 10 sent, 9 reflected
  EXPECT_EQ(r.lostReturn, 1u);    // 9 reflected, 8 came back
  EXPECT_EQ(*r.lostOutbound + *r.lostReturn, r.lost);
}

TEST(TransportResult, CarriesTheRunFacts) {
  RunFacts facts;
  facts.retransmits = 12;
  facts.congestionControl = "cubic";
  facts.socketDrops = 0;
  facts.counters["datagrams_sent"] = 40;
  facts.metImpairedLink = true;
  const auto r = TransportResult::fromStream("tcp", sampleStream(), facts);
  EXPECT_EQ(r.retransmits, 12u);
  EXPECT_EQ(r.congestionControl, "cubic");
  EXPECT_EQ(r.socketDrops, 0u);
  EXPECT_EQ(r.counters.at("datagrams_sent"), 40u);
  EXPECT_TRUE(r.metImpairedLink);
}
