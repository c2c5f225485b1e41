#include "bench/ProbeTimeout.h"

#include <gtest/gtest.h>

using pigeon::bench::ProbeTimeout;

TEST(ProbeTimeout, WaitsASecondBeforeAnyReplyHasBeenSeen) {
  EXPECT_EQ(ProbeTimeout().timeoutNs(), ProbeTimeout::kInitialNs);
}

TEST(ProbeTimeout, FollowsTheRoundTripsSeenWithAFloorForFastPaths) {
  ProbeTimeout loopback;
  for (int i = 0; i < 50; ++i) loopback.addRoundTrip(30'000);  // 30 us
  EXPECT_EQ(loopback.timeoutNs(), ProbeTimeout::kFloorNs);

  ProbeTimeout wan;
  for (int i = 0; i < 200; ++i) wan.addRoundTrip(40'000'000);  // a steady 40 ms
  // 3 x (SRTT + 4 RTTVAR), with RTTVAR decayed towards 0 on a steady path.
  EXPECT_GE(wan.timeoutNs(), 120'000'000);
  EXPECT_LT(wan.timeoutNs(), 130'000'000);

  ProbeTimeout jittery;
  for (int i = 0; i < 200; ++i) jittery.addRoundTrip(i % 2 ? 10'000'000 : 30'000'000);
  // The spread widens the wait beyond 3 x the mean (60 ms).
  EXPECT_GT(jittery.timeoutNs(), 100'000'000);
  EXPECT_LE(jittery.timeoutNs(), ProbeTimeout::kMaxNs);
}

TEST(ProbeTimeout, NeverWaitsLongerThanTheCeiling) {
  ProbeTimeout slow;
  slow.addRoundTrip(20'000'000'000);  // 20 s
  EXPECT_EQ(slow.timeoutNs(), ProbeTimeout::kMaxNs);
}

TEST(ProbeTimeout, AFixedTimeoutIgnoresTheRoundTrips) {
  ProbeTimeout fixed(250'000'000);
  for (int i = 0; i < 50; ++i) fixed.addRoundTrip(30'000);
  EXPECT_EQ(fixed.timeoutNs(), 250'000'000);
  EXPECT_EQ(fixed.describe(), "fixed 250 ms (--timeout)");
}
