#include "metrics/NumberText.h"

#include <gtest/gtest.h>

using pigeon::metrics::plainNumber;

TEST(PlainNumber, WholeNumbersKeepEveryDigit) {
  EXPECT_EQ(plainNumber(20'000'000), "20000000");
  EXPECT_EQ(plainNumber(10'000'000), "10000000");
  EXPECT_EQ(plainNumber(0), "0");
  EXPECT_EQ(plainNumber(-3), "-3");
}

TEST(PlainNumber, FractionsAreAsShortAsTheyAre) {
  EXPECT_EQ(plainNumber(0.5), "0.5");
  EXPECT_EQ(plainNumber(2.25), "2.25");
  EXPECT_EQ(plainNumber(0.001), "0.001");
}

TEST(PlainNumber, HugeNumbersFallBackToTheShortForm) { EXPECT_EQ(plainNumber(1e20), "1e+20"); }
