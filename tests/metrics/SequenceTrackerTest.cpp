#include "metrics/SequenceTracker.h"

#include <gtest/gtest.h>

using pigeon::metrics::SequenceTracker;
using Kind = SequenceTracker::Kind;

namespace {
constexpr std::uint64_t kWindow = SequenceTracker::kWindow;
}

TEST(SequenceTracker, StartsEmpty) {
  const SequenceTracker t;
  EXPECT_FALSE(t.any());
  EXPECT_EQ(t.unique(), 0u);
}

TEST(SequenceTracker, CountsAnInOrderStream) {
  SequenceTracker t;
  for (std::uint64_t s = 0; s < 1000; ++s) {
    ASSERT_EQ(t.record(s).kind, Kind::kInOrder) << s;
  }
  EXPECT_TRUE(t.any());
  EXPECT_EQ(t.highest(), 999u);
  EXPECT_EQ(t.unique(), 1000u);
  EXPECT_EQ(t.duplicates(), 0u);
  EXPECT_EQ(t.reordered(), 0u);
  EXPECT_EQ(t.tooOld(), 0u);
}

TEST(SequenceTracker, ReportsAGapWithTheNumberMissing) {
  SequenceTracker t;
  t.record(0);
  t.record(1);
  const auto a = t.record(4);
  EXPECT_EQ(a.kind, Kind::kGap);
  EXPECT_EQ(a.missing, 2u);
  EXPECT_EQ(t.record(5).kind, Kind::kInOrder);
  const auto b = t.record(100);
  EXPECT_EQ(b.kind, Kind::kGap);
  EXPECT_EQ(b.missing, 94u);
  EXPECT_EQ(t.unique(), 5u);
  EXPECT_EQ(t.highest(), 100u);
}

TEST(SequenceTracker, ReportsAReorderedArrivalWithItsExtent) {
  SequenceTracker t;
  t.record(0);
  t.record(3);
  const auto late = t.record(1);
  EXPECT_EQ(late.kind, Kind::kReordered);
  EXPECT_EQ(late.extent, 2u);
  const auto later = t.record(2);
  EXPECT_EQ(later.kind, Kind::kReordered);
  EXPECT_EQ(later.extent, 1u);
  EXPECT_EQ(t.record(4).kind, Kind::kInOrder);
  EXPECT_EQ(t.reordered(), 2u);
  EXPECT_EQ(t.maxReorderExtent(), 2u);
  EXPECT_EQ(t.unique(), 5u);
  EXPECT_EQ(t.highest(), 4u);
}

TEST(SequenceTracker, KeepsTheLargestReorderExtent) {
  SequenceTracker t;
  t.record(0);
  t.record(50);
  t.record(10);  // extent 40
  t.record(45);  // extent 5
  EXPECT_EQ(t.maxReorderExtent(), 40u);
  EXPECT_EQ(t.reordered(), 2u);
}

TEST(SequenceTracker, RecognisesDuplicates) {
  SequenceTracker t;
  t.record(0);
  t.record(1);
  EXPECT_EQ(t.record(1).kind, Kind::kDuplicate);  // the highest again
  EXPECT_EQ(t.record(0).kind, Kind::kDuplicate);  // an older one
  t.record(5);
  EXPECT_EQ(t.record(3).kind, Kind::kReordered);
  EXPECT_EQ(t.record(3).kind, Kind::kDuplicate);  // a reordered one again
  EXPECT_EQ(t.duplicates(), 3u);
  EXPECT_EQ(t.unique(), 4u);
  EXPECT_EQ(t.reordered(), 1u);
}

TEST(SequenceTracker, TakesAFirstArrivalAboveZeroAsAGap) {
  SequenceTracker t;
  const auto first = t.record(10);
  EXPECT_EQ(first.kind, Kind::kGap);
  EXPECT_EQ(first.missing, 10u);
  EXPECT_EQ(t.record(11).kind, Kind::kInOrder);
  // The numbers before the first are new when they come, not duplicates.
  const auto early = t.record(3);
  EXPECT_EQ(early.kind, Kind::kReordered);
  EXPECT_EQ(early.extent, 8u);
  EXPECT_EQ(t.record(10).kind, Kind::kDuplicate);
  EXPECT_EQ(t.unique(), 3u);
}

TEST(SequenceTracker, CallsAnArrivalBeyondTheWindowTooOld) {
  SequenceTracker t;
  t.record(0);
  t.record(kWindow);  // skips 1 .. kWindow-1
  const auto old = t.record(0);
  EXPECT_EQ(old.kind, Kind::kTooOld);
  EXPECT_EQ(old.extent, kWindow);
  // The oldest number still inside the window is judged normally.
  const auto edge = t.record(1);
  EXPECT_EQ(edge.kind, Kind::kReordered);
  EXPECT_EQ(edge.extent, kWindow - 1);
  EXPECT_EQ(t.record(1).kind, Kind::kDuplicate);
  EXPECT_EQ(t.tooOld(), 1u);
  EXPECT_EQ(t.unique(), 3u);
}

TEST(SequenceTracker, StillTellsDuplicatesAfterTheBitmapWraps) {
  SequenceTracker t;
  constexpr std::uint64_t kEnd = 3 * kWindow + 123;
  for (std::uint64_t s = 0; s < kEnd; ++s) {
    if (s % 1000 == 7) continue;  // a few lost, each aliasing a seen number
    t.record(s);
  }
  const std::uint64_t highest = kEnd - 1;
  EXPECT_EQ(t.highest(), highest);
  // Recent numbers come back as duplicates, skipped ones as new.
  EXPECT_EQ(t.record(highest).kind, Kind::kDuplicate);
  EXPECT_EQ(t.record(highest - 500).kind, Kind::kDuplicate);
  EXPECT_EQ(t.record(highest - kWindow + 1).kind, Kind::kDuplicate);
  const std::uint64_t skipped = (highest / 1000) * 1000 + 7 - 1000;
  ASSERT_LT(highest - skipped, kWindow);
  EXPECT_EQ(t.record(skipped).kind, Kind::kReordered);
  EXPECT_EQ(t.record(skipped).kind, Kind::kDuplicate);
  EXPECT_EQ(t.record(highest - kWindow).kind, Kind::kTooOld);
  EXPECT_EQ(t.duplicates(), 4u);
}

TEST(SequenceTracker, ForgetsMarksOfNumbersAGapSkipsOver) {
  SequenceTracker t;
  for (std::uint64_t s = 0; s < kWindow; ++s) t.record(s);  // every bit set
  const auto jump = t.record(kWindow + 10);                 // kWindow .. +9 skipped
  EXPECT_EQ(jump.kind, Kind::kGap);
  EXPECT_EQ(jump.missing, 10u);
  // kWindow + 5 shares its bit with 5, which was seen: it must still be new.
  EXPECT_EQ(t.record(kWindow + 5).kind, Kind::kReordered);
  EXPECT_EQ(t.record(kWindow + 5).kind, Kind::kDuplicate);
  EXPECT_EQ(t.record(20).kind, Kind::kDuplicate);  // still inside the window
}

TEST(SequenceTracker, ForgetsEverythingAfterAJumpLongerThanTheWindow) {
  SequenceTracker t;
  for (std::uint64_t s = 0; s <= 100; ++s) t.record(s);
  const std::uint64_t far = 5 * kWindow + 3;
  const auto jump = t.record(far);
  EXPECT_EQ(jump.kind, Kind::kGap);
  EXPECT_EQ(jump.missing, far - 101);
  for (std::uint64_t s = far - 3; s < far; ++s) {
    EXPECT_EQ(t.record(s).kind, Kind::kReordered) << s;  // bits 0..2 were set before
  }
  EXPECT_EQ(t.record(far).kind, Kind::kDuplicate);
  EXPECT_EQ(t.record(100).kind, Kind::kTooOld);
}

TEST(SequenceTracker, HandlesSequencesNearTwoToTheSixtyThird) {
  SequenceTracker t;
  constexpr std::uint64_t kBase = (std::uint64_t{1} << 63) - 5;
  const auto first = t.record(kBase);
  EXPECT_EQ(first.kind, Kind::kGap);
  EXPECT_EQ(first.missing, kBase);
  for (std::uint64_t s = kBase + 1; s < kBase + 10; ++s) {
    ASSERT_EQ(t.record(s).kind, Kind::kInOrder) << s;
  }
  const auto gap = t.record(kBase + 13);
  EXPECT_EQ(gap.kind, Kind::kGap);
  EXPECT_EQ(gap.missing, 3u);
  const auto late = t.record(kBase + 11);
  EXPECT_EQ(late.kind, Kind::kReordered);
  EXPECT_EQ(late.extent, 2u);
  EXPECT_EQ(t.record(kBase + 5).kind, Kind::kDuplicate);
  EXPECT_EQ(t.record(kBase + 13).kind, Kind::kDuplicate);
  EXPECT_EQ(t.highest(), kBase + 13);
  EXPECT_EQ(t.unique(), 12u);
  const auto far = t.record(kBase + 13 + 2 * kWindow);
  EXPECT_EQ(far.kind, Kind::kGap);
  EXPECT_EQ(t.record(kBase + 13).kind, Kind::kTooOld);
}

TEST(SequenceTracker, AJumpToTheLastSequenceNumberDoesNotMistakeSkippedOnesForDuplicates) {
  pigeon::metrics::SequenceTracker tracker;
  const std::uint64_t last = UINT64_MAX;
  tracker.record(last - 10);
  tracker.record(last - 8);
  tracker.record(last - 9);  // reordered into the gap
  tracker.record(last);
  EXPECT_EQ(tracker.record(last - 3).kind, pigeon::metrics::SequenceTracker::Kind::kReordered);
  EXPECT_EQ(tracker.record(last - 3).kind, pigeon::metrics::SequenceTracker::Kind::kDuplicate);
  EXPECT_EQ(tracker.duplicates(), 1u);
}

TEST(SequenceTracker, ANumberAboveTheCeilingMovesNothing) {
  // The damaged number of a corrupted datagram (257 became 15008001) must
  // not become the highest, or every later arrival would look too old.
  SequenceTracker t;
  t.setCeiling(19'999);
  for (std::uint64_t s = 0; s < 257; ++s) t.record(s);
  EXPECT_EQ(t.record(15'008'001).kind, Kind::kImplausible);
  EXPECT_EQ(t.highest(), 256u);
  EXPECT_EQ(t.unique(), 257u);
  for (std::uint64_t s = 258; s < 20'000; ++s) {
    ASSERT_NE(t.record(s).kind, Kind::kTooOld) << s;
  }
  EXPECT_EQ(t.record(20'000).kind, Kind::kImplausible);
  EXPECT_EQ(t.implausible(), 2u);
  EXPECT_EQ(t.tooOld(), 0u);
  EXPECT_EQ(t.unique(), 19'999u);
  EXPECT_EQ(t.highest(), 19'999u);
  EXPECT_EQ(t.record(19'999).kind, Kind::kDuplicate);
}
