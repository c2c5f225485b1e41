#include "metrics/InterarrivalJitter.h"

#include <gtest/gtest.h>

using pigeon::metrics::InterarrivalJitter;

TEST(InterarrivalJitter, FollowsRfc3550OnAHandComputedSequence) {
  InterarrivalJitter j;
  // Transit times 100, 120, 110, 150 ns (send at 0, 1000, 2000, 3000).
  j.record(0, 100);
  EXPECT_EQ(j.jitterNs(), 0.0);
  j.record(1000, 1120);  // D = 20:  J = 0 + (20 - 0) / 16 = 1.25
  EXPECT_DOUBLE_EQ(j.jitterNs(), 1.25);
  j.record(2000, 2110);  // D = -10: J = 1.25 + (10 - 1.25) / 16 = 1.796875
  EXPECT_DOUBLE_EQ(j.jitterNs(), 1.796875);
  j.record(3000, 3150);  // D = 40:  J = 1.796875 + (40 - 1.796875) / 16
  EXPECT_DOUBLE_EQ(j.jitterNs(), 4.1845703125);
  EXPECT_EQ(j.packets(), 4u);
}

TEST(InterarrivalJitter, IgnoresAConstantClockOffset) {
  InterarrivalJitter j;
  for (int i = 0; i < 100; ++i) j.record(i * 1000, i * 1000 + 5'000'000'000);
  EXPECT_EQ(j.jitterNs(), 0.0);
}
