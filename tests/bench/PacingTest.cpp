#include "bench/Pacer.h"
#include "bench/TokenBucket.h"

#include "wire/Clock.h"

#include <gtest/gtest.h>

using pigeon::bench::Pacer;
using pigeon::bench::TokenBucket;

TEST(Pacer, SpacesMessagesEvenlyWithoutAccumulatingCredit) {
  const Pacer pacer(1000.0, 5'000'000);
  EXPECT_EQ(pacer.dueNs(0), 5'000'000);
  EXPECT_EQ(pacer.dueNs(1), 6'000'000);
  EXPECT_EQ(pacer.dueNs(1000), 1'005'000'000);
}

TEST(Pacer, WaitsUntilEachMessageIsDueAndRecordsHowLateItWas) {
  const std::int64_t start = pigeon::wire::steadyNowNs();
  Pacer pacer(2000.0, start);  // one every 500 us
  std::int64_t last = 0;
  for (std::uint64_t i = 0; i < 20; ++i) last = pacer.waitFor(i);
  EXPECT_GE(last, start + 19 * 500'000);
  EXPECT_EQ(pacer.slip().count(), 20u);
  EXPECT_GE(pacer.slip().minNs(), 0);
}

TEST(Pacer, AtRateZeroNeverWaitsAndRecordsNoSlip) {
  Pacer pacer(0.0, pigeon::wire::steadyNowNs() + 1'000'000'000);
  pacer.waitFor(5);  // due "now": no second-long wait
  EXPECT_FALSE(pacer.paced());
  EXPECT_EQ(pacer.slip().count(), 0u);
}

TEST(TokenBucket, AllowsTheBurstThenTheRate) {
  TokenBucket bucket(1000.0, 5.0, 0);
  int taken = 0;
  for (int i = 0; i < 10; ++i) taken += bucket.take(0);
  EXPECT_EQ(taken, 5);
  EXPECT_FALSE(bucket.take(500'000));   // half a token after 0.5 ms
  EXPECT_TRUE(bucket.take(1'000'000));  // one token after 1 ms
  EXPECT_FALSE(bucket.take(1'000'000));
}

TEST(TokenBucket, NeverSavesMoreThanTheBurst) {
  TokenBucket bucket(1000.0, 3.0, 0);
  int taken = 0;
  for (int i = 0; i < 10; ++i) taken += bucket.take(10'000'000'000);
  EXPECT_EQ(taken, 3);
}
