#include "lab/SpinBudget.h"

#include <gtest/gtest.h>

#include <cstdint>

using pigeon::lab::SpinBudget;

namespace {

constexpr std::int64_t kUs = 1'000;
constexpr std::int64_t kStart = 1'000'000'000;

TEST(LabSpinBudget, LetsTheThreadSpinAQuarterOfEachWindowThenSleep) {
  SpinBudget budget;
  std::int64_t now = kStart;
  int spins = 0;
  // 10 ms of turns 10 us apart, all wanting to spin: a quarter of them may.
  for (int i = 0; i < 1000; ++i, now += 10 * kUs) spins += budget.spin(now, true) ? 1 : 0;
  EXPECT_GE(spins, 249);
  EXPECT_LE(spins, 251);
  // The next window starts with a full budget again.
  EXPECT_TRUE(budget.spin(now, true));
}

TEST(LabSpinBudget, ChargesOnlyTheTimeAfterATurnThatSpun) {
  SpinBudget budget;
  std::int64_t now = kStart;
  EXPECT_FALSE(budget.spin(now, false));
  // 7 ms asleep (after a turn that did not spin) cost nothing ...
  now += 7'000 * kUs;
  EXPECT_TRUE(budget.spin(now, true));
  // ... whereas 2.5 ms after turns that spun use up the window's budget.
  now += 2'400 * kUs;
  EXPECT_TRUE(budget.spin(now, true));
  now += 100 * kUs;
  EXPECT_FALSE(budget.spin(now, true));
}

}  // namespace
