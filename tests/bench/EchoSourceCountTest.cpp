// The echo's count of distinct UDP sources: exact up to its limit, then a
// lower bound that says so (bounded memory whatever the sources).

#include "bench/EchoSourceCount.h"

#include <gtest/gtest.h>

#include <string>

using pigeon::bench::EchoSourceCount;

TEST(EchoSourceCount, CountsEachKeyOnceHoweverOftenItComes) {
  EchoSourceCount count(100'000);
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 10'000; ++i) count.add("source " + std::to_string(i));
  }
  EXPECT_EQ(count.count(), 10'000u);
  EXPECT_FALSE(count.atLeast());
  EXPECT_FALSE(count.add("source 0"));
  EXPECT_TRUE(count.add("source 10000"));
}

TEST(EchoSourceCount, PastItsLimitItStopsAndSaysItIsALowerBound) {
  EchoSourceCount count(8);
  for (int i = 0; i < 7; ++i) EXPECT_TRUE(count.add(std::string(1, static_cast<char>('a' + i))));
  EXPECT_FALSE(count.atLeast());
  EXPECT_TRUE(count.add("h"));
  EXPECT_TRUE(count.atLeast());
  EXPECT_FALSE(count.add("i"));  // not counted: the count is "8 or more"
  EXPECT_EQ(count.count(), 8u);
}
