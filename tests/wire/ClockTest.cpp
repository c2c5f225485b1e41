#include "wire/Clock.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <vector>

namespace {

using pigeon::wire::steadyMinusRealNs;

// Clocks that tick on each read: the steady one is kTruth behind the
// realtime one, and each read takes 20 ns, but where told the thread is
// kept away for `stallNs` before the read.
struct FakeClocks {
  static constexpr std::int64_t kTruth = -1'000'000'000'000;  // steady - real
  std::int64_t nowNs = 5'000'000'000'000;                     // realtime
  std::vector<std::int64_t> stallBeforeRead;                  // by read number
  std::size_t stepRealFromRead = SIZE_MAX;                    // the realtime clock is set ...
  std::int64_t realStepNs = 0;                                // ... by this much from that read on
  std::size_t reads = 0;

  std::int64_t tick() {
    if (reads < stallBeforeRead.size()) nowNs += stallBeforeRead[reads];
    ++reads;
    nowNs += 20;
    return nowNs;
  }
  std::int64_t real() {
    const bool stepped = reads >= stepRealFromRead;
    return tick() + (stepped ? realStepNs : 0);
  }
  std::int64_t steady() { return tick() + kTruth; }
};

std::int64_t offset(FakeClocks& clocks) {
  return steadyMinusRealNs([&] { return clocks.real(); }, [&] { return clocks.steady(); });
}

TEST(SteadyMinusReal, IsExactToTheReadsOnAnUndisturbedThread) {
  FakeClocks clocks;
  EXPECT_NEAR(offset(clocks), FakeClocks::kTruth, 20);
  EXPECT_EQ(clocks.reads, 3u);  // one bracket was tight enough
}

// The thread kept 30 us from the realtime read after the steady one: that
// bracket is wide, so it is read again, and the narrow one decides.
TEST(SteadyMinusReal, AThreadKeptFromItsSecondReadDoesNotMoveTheOffset) {
  FakeClocks clocks;
  clocks.stallBeforeRead = {0, 0, 30'000};
  EXPECT_NEAR(offset(clocks), FakeClocks::kTruth, 20);
  EXPECT_EQ(clocks.reads, 6u);
}

TEST(SteadyMinusReal, AThreadKeptFromTheSteadyReadDoesNotMoveTheOffset) {
  FakeClocks clocks;
  clocks.stallBeforeRead = {0, 30'000};
  EXPECT_NEAR(offset(clocks), FakeClocks::kTruth, 20);
}

// Disturbed every time: the narrowest bracket is kept, and the error is at
// most half its width.
TEST(SteadyMinusReal, AlwaysDisturbedItKeepsTheNarrowestBracket) {
  FakeClocks clocks;
  clocks.stallBeforeRead = {0, 0, 40'000, 0, 0, 10'000, 0, 0, 50'000, 0, 0, 60'000};
  const std::int64_t error = offset(clocks) - FakeClocks::kTruth;
  EXPECT_EQ(clocks.reads, 12u);
  EXPECT_LE(std::abs(error), 10'000 / 2 + 40);
}

// A realtime clock stepped back between the two reads of one bracket: that
// bracket is not used while another is to be had.
TEST(SteadyMinusReal, ABracketTheRealtimeClockSteppedBackInIsNotUsed) {
  FakeClocks clocks;
  clocks.stepRealFromRead = 2;
  clocks.realStepNs = -3'000'000;
  EXPECT_NEAR(offset(clocks), FakeClocks::kTruth + 3'000'000, 20);
  EXPECT_EQ(clocks.reads, 6u);
}

TEST(SteadyMinusReal, TheRealClocksAgreeWithTheirOwnReading) {
  const std::int64_t offsetNs = steadyMinusRealNs();
  const std::int64_t real = pigeon::wire::realtimeNowNs();
  const std::int64_t steady = pigeon::wire::steadyNowNs();
  // Read one after the other: within a generous millisecond of the offset.
  EXPECT_NEAR(static_cast<double>(steady - real), static_cast<double>(offsetNs), 1e6);
}

}  // namespace
