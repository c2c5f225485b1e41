#include "transport/rudp/RttEstimator.h"

#include <gtest/gtest.h>

namespace pigeon::transport::rudp {
namespace {

constexpr std::int64_t kMs = 1'000'000;

RttEstimator estimator() { return RttEstimator(1000 * kMs, 200 * kMs, 60'000 * kMs, 1 * kMs); }

TEST(RudpRttEstimator, StartsAtTheInitialRtoWithoutASample) {
  const RttEstimator rtt = estimator();
  EXPECT_FALSE(rtt.hasSample());
  EXPECT_EQ(rtt.rtoNs(), 1000 * kMs);
}

TEST(RudpRttEstimator, TakesTheFirstSampleAsSrttAndHalfOfItAsRttvar) {
  RttEstimator rtt = estimator();
  rtt.addSample(100 * kMs);
  EXPECT_EQ(rtt.srttNs(), 100 * kMs);
  EXPECT_EQ(rtt.rttvarNs(), 50 * kMs);
  EXPECT_EQ(rtt.rtoNs(), 300 * kMs);  // SRTT + 4 RTTVAR
}

TEST(RudpRttEstimator, SmoothsLaterSamplesWithAnEighthAndAQuarter) {
  RttEstimator rtt = estimator();
  rtt.addSample(100 * kMs);
  rtt.addSample(200 * kMs);
  // RTTVAR = 3/4 * 50 + 1/4 * |100 - 200| = 62.5; SRTT = 7/8 * 100 + 1/8 * 200 = 112.5
  EXPECT_EQ(rtt.rttvarNs(), 62'500'000);
  EXPECT_EQ(rtt.srttNs(), 112'500'000);
  EXPECT_EQ(rtt.rtoNs(), 112'500'000 + 4 * 62'500'000);
}

TEST(RudpRttEstimator, NeverGoesBelowTheFloor) {
  RttEstimator rtt = estimator();
  rtt.addSample(1 * kMs);
  EXPECT_EQ(rtt.rtoNs(), 200 * kMs);
}

TEST(RudpRttEstimator, UsesTheClockGranularityWhenTheVarianceIsTiny) {
  RttEstimator rtt(1000 * kMs, 1, 60'000 * kMs, 5 * kMs);
  for (int i = 0; i < 50; ++i) rtt.addSample(10 * kMs);
  EXPECT_LT(4 * rtt.rttvarNs(), 5 * kMs);
  EXPECT_EQ(rtt.rtoNs(), 15 * kMs);  // SRTT + max(G, 4 RTTVAR)
}

TEST(RudpRttEstimator, DoublesOnEachBackoffUpToTheCeiling) {
  RttEstimator rtt(1000 * kMs, 200 * kMs, 5000 * kMs, kMs);
  rtt.backOff();
  EXPECT_EQ(rtt.rtoNs(), 2000 * kMs);
  rtt.backOff();
  EXPECT_EQ(rtt.rtoNs(), 4000 * kMs);
  rtt.backOff();
  EXPECT_EQ(rtt.rtoNs(), 5000 * kMs);
  EXPECT_EQ(rtt.backoffs(), 3);
}

TEST(RudpRttEstimator, ANewSampleEndsTheBackoff) {
  RttEstimator rtt = estimator();
  rtt.backOff();
  rtt.backOff();
  rtt.addSample(100 * kMs);
  EXPECT_EQ(rtt.rtoNs(), 300 * kMs);
  EXPECT_EQ(rtt.backoffs(), 0);
}

}  // namespace
}  // namespace pigeon::transport::rudp
