#include "lab/WakeMargin.h"

#include <gtest/gtest.h>

#include <cstdint>

using pigeon::lab::WakeMargin;

namespace {

constexpr std::int64_t kUs = 1'000;

TEST(LabWakeMargin, RisesAtOnceToASleepThatWokeLaterThanIt) {
  WakeMargin margin;
  EXPECT_EQ(margin.ns(), WakeMargin::kInitialNs);
  margin.onTimedWake(700 * kUs);
  EXPECT_EQ(margin.ns(), 700 * kUs);
}

TEST(LabWakeMargin, FallsBySixtyFourthsOfTheGapToShorterOvershoots) {
  WakeMargin margin;
  margin.onTimedWake(840 * kUs);
  margin.onTimedWake(200 * kUs);
  EXPECT_EQ(margin.ns(), 830 * kUs);  // 840 - 640/64
  // A run of short overshoots brings it down to them, not below.
  for (int i = 0; i < 2000; ++i) margin.onTimedWake(40 * kUs);
  EXPECT_GE(margin.ns(), 40 * kUs);
  EXPECT_LT(margin.ns(), 41 * kUs);
}

TEST(LabWakeMargin, StaysWithinItsBounds) {
  WakeMargin margin;
  margin.onTimedWake(50'000 * kUs);  // one 50 ms stall does not mean 50 ms of spinning
  EXPECT_EQ(margin.ns(), WakeMargin::kMaxNs);
  for (int i = 0; i < 5000; ++i) margin.onTimedWake(-5 * kUs);  // a clock step, or early
  EXPECT_GE(margin.ns(), WakeMargin::kMinNs);
  EXPECT_LT(margin.ns(), WakeMargin::kMinNs + kUs);
}

}  // namespace
