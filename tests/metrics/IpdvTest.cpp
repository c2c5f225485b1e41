#include "metrics/Ipdv.h"

#include <gtest/gtest.h>

using pigeon::metrics::Ipdv;

TEST(Ipdv, TakesPairsOfConsecutiveSequenceNumbersInWhateverOrderTheyArrive) {
  Ipdv ipdv;
  ipdv.record(1, 10);  // first: no pair
  ipdv.record(2, 14);  // IPDV(2) = 14 - 10 = +4
  ipdv.record(4, 11);  // 3 missing so far: no pair
  ipdv.record(3, 20);  // IPDV(3) = 20 - 14 = +6 and IPDV(4) = 11 - 20 = -9
  ipdv.record(5, 12);  // IPDV(5) = 12 - 11 = +1
  ipdv.record(7, 30);  // 6 lost: no pair
  EXPECT_EQ(ipdv.pairs(), 4u);
  EXPECT_DOUBLE_EQ(ipdv.meanAbsNs(), 5.0);
  EXPECT_EQ(ipdv.maxAbsNs(), 9);
  EXPECT_DOUBLE_EQ(ipdv.meanNs(), 0.5);
}

TEST(Ipdv, MeasuresEveryPairUnderReorderingOfManyPlaces) {
  // Delays alternate 0 and 1000 ns by sequence number, so every IPDV is
  // +-1000 ns. The arrival order is scrambled: each block of 50 arrives
  // backwards, and blocks arrive in pairs swapped. Only adjacent arrivals
  // were measured before: a few pairs, and an |IPDV| of 0 for none of them.
  Ipdv ipdv;
  constexpr std::uint64_t kBlock = 50;
  constexpr std::uint64_t kBlocks = 40;
  for (std::uint64_t b = 0; b < kBlocks; ++b) {
    const std::uint64_t block = b ^ 1;
    for (std::uint64_t k = 0; k < kBlock; ++k) {
      const std::uint64_t s = block * kBlock + (kBlock - 1 - k);
      ipdv.record(s, (s % 2) * 1000);
    }
  }
  EXPECT_EQ(ipdv.pairs(), kBlock * kBlocks - 1);
  EXPECT_DOUBLE_EQ(ipdv.meanAbsNs(), 1000.0);
  EXPECT_EQ(ipdv.maxAbsNs(), 1000);
}

TEST(Ipdv, ForgetsADelayKWindowNumbersLater) {
  // The bound on memory: a neighbour kWindow or more numbers back is gone.
  Ipdv ipdv;
  ipdv.record(0, 5);
  ipdv.record(Ipdv::kWindow + 1, 7);  // lands in slot 1
  ipdv.record(Ipdv::kWindow, 9);      // overwrites 0's slot; pairs with kWindow + 1
  ipdv.record(1, 3);                  // 0 and 2 are gone: no pair
  EXPECT_EQ(ipdv.pairs(), 1u);
  EXPECT_DOUBLE_EQ(ipdv.meanNs(), -2.0);
}

TEST(Ipdv, HandlesTheLargestSequenceNumbers) {
  Ipdv ipdv;
  ipdv.record(UINT64_MAX, 10);
  ipdv.record(UINT64_MAX - 1, 4);
  ipdv.record(0, 1);
  EXPECT_EQ(ipdv.pairs(), 1u);  // IPDV(2^64 - 1); 0 follows no number
  EXPECT_DOUBLE_EQ(ipdv.meanNs(), 6.0);
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
