#include "metrics/Ipdv.h"

#include <gtest/gtest.h>

using pigeon::metrics::Ipdv;

TEST(Ipdv, TakesPairsOfConsecutiveSequenceNumbersArrivingBackToBack) {
  Ipdv ipdv;
  ipdv.record(1, 10);  // first: no pair
  ipdv.record(2, 14);  // IPDV(2) = 14 - 10 = +4
  ipdv.record(4, 11);  // 3 missing so far: no pair
  ipdv.record(3, 20);  // 3 right after 4: IPDV(4) = D(4) - D(3) = 11 - 20 = -9
  ipdv.record(5, 12);  // previous arrival was 3: no pair
  ipdv.record(7, 30);  // 6 lost: no pair
  EXPECT_EQ(ipdv.pairs(), 2u);
  EXPECT_DOUBLE_EQ(ipdv.meanAbsNs(), 6.5);
  EXPECT_EQ(ipdv.maxAbsNs(), 9);
  EXPECT_DOUBLE_EQ(ipdv.meanNs(), -2.5);
}

TEST(Ipdv, IsZeroForAConstantDelay) {
  Ipdv ipdv;
  for (std::uint64_t s = 0; s < 50; ++s) ipdv.record(s, 1'000'000);
  EXPECT_EQ(ipdv.pairs(), 49u);
  EXPECT_EQ(ipdv.meanAbsNs(), 0.0);
  EXPECT_EQ(ipdv.absHistogram().percentile(99), 0);
}

TEST(Ipdv, HasNoPairsWithoutConsecutiveNumbers) {
  Ipdv ipdv;
  ipdv.record(10, 5);
  ipdv.record(12, 5);
  ipdv.record(14, 5);
  EXPECT_EQ(ipdv.pairs(), 0u);
  EXPECT_EQ(ipdv.meanAbsNs(), 0.0);
}
