// Selective repeat's receiver: ordered holds back after a gap, unordered
// hands up at once and exactly once; duplicates, window and SACK ranges.

#include "transport/rudp/RudpReceiver.h"

#include <gtest/gtest.h>

namespace pigeon::transport::rudp {
namespace {

using Verdict = RudpReceiver::Verdict;

RudpMessage message(std::uint64_t sequence) {
  RudpMessage m;
  m.header.sequence = sequence;
  return m;
}

std::vector<std::uint64_t> drain(RudpReceiver& r) {
  std::vector<std::uint64_t> out;
  while (auto m = r.take()) out.push_back(m->header.sequence);
  return out;
}

TEST(RudpReceiver, OrderedHoldsMessagesBackUntilTheGapFills) {
  RudpReceiver r(16, ArqScheme::kSelectiveRepeat, DeliveryMode::kOrdered);
  EXPECT_EQ(r.onData(1, message(1), 10), Verdict::kAccepted);
  EXPECT_EQ(r.onData(2, message(2), 20), Verdict::kAccepted);
  EXPECT_FALSE(r.hasMessage());
  EXPECT_EQ(r.cumulative(), 0u);
  EXPECT_EQ(r.onData(0, message(0), 30), Verdict::kAccepted);
  EXPECT_EQ(r.cumulative(), 3u);
  EXPECT_EQ(r.take()->deliveredNs, 30);  // delivered when the gap filled
  EXPECT_EQ(drain(r), (std::vector<std::uint64_t>{1, 2}));
}

TEST(RudpReceiver, UnorderedDeliversOutOfOrderExactlyOnce) {
  RudpReceiver r(16, ArqScheme::kSelectiveRepeat, DeliveryMode::kUnordered);
  EXPECT_EQ(r.onData(2, message(2), 0), Verdict::kAccepted);
  EXPECT_EQ(drain(r), (std::vector<std::uint64_t>{2}));
  EXPECT_EQ(r.onData(2, message(2), 0), Verdict::kDuplicate);
  EXPECT_EQ(r.onData(0, message(0), 0), Verdict::kAccepted);
  EXPECT_EQ(r.onData(1, message(1), 0), Verdict::kAccepted);
  EXPECT_EQ(drain(r), (std::vector<std::uint64_t>{0, 1}));
  EXPECT_EQ(r.cumulative(), 3u);
  EXPECT_EQ(r.onData(1, message(1), 0), Verdict::kDuplicate);
  EXPECT_EQ(r.onData(2, message(2), 0), Verdict::kDuplicate);
  EXPECT_FALSE(r.hasMessage());
}

TEST(RudpReceiver, DiscardsADuplicateHeldAfterAGap) {
  RudpReceiver r(16, ArqScheme::kSelectiveRepeat, DeliveryMode::kOrdered);
  EXPECT_EQ(r.onData(3, message(3), 0), Verdict::kAccepted);
  EXPECT_EQ(r.onData(3, message(3), 0), Verdict::kDuplicate);
}

TEST(RudpReceiver, ShutsTheWindowWhenTheApplicationDoesNotRead) {
  RudpReceiver r(4, ArqScheme::kSelectiveRepeat, DeliveryMode::kOrdered);
  for (std::uint64_t i = 0; i < 4; ++i) EXPECT_EQ(r.onData(i, message(i), 0), Verdict::kAccepted);
  EXPECT_EQ(r.window(), 0u);
  EXPECT_EQ(r.onData(4, message(4), 0), Verdict::kOutOfWindow);
  r.take();
  EXPECT_EQ(r.window(), 1u);
  EXPECT_EQ(r.onData(5, message(5), 0), Verdict::kOutOfWindow);  // beyond cumulative + 1
  EXPECT_EQ(r.onData(4, message(4), 0), Verdict::kAccepted);
}

TEST(RudpReceiver, UnorderedEarlyDeliveriesDoNotPullTheWindowEdgeBack) {
  RudpReceiver r(4, ArqScheme::kSelectiveRepeat, DeliveryMode::kUnordered);
  for (std::uint64_t i = 1; i < 4; ++i) r.onData(i, message(i), 0);  // all unread
  EXPECT_EQ(r.cumulative() + r.window(), 4u);
  EXPECT_EQ(r.onData(0, message(0), 0), Verdict::kAccepted);
  EXPECT_EQ(r.cumulative() + r.window(), 4u);  // four unread: shut, edge still 4
  EXPECT_EQ(drain(r).size(), 4u);
  EXPECT_EQ(r.cumulative() + r.window(), 8u);
}

TEST(RudpReceiver, ReportsRunsAboveTheCumulativePointAsSackRanges) {
  RudpReceiver r(64, ArqScheme::kSelectiveRepeat, DeliveryMode::kOrdered);
  for (std::uint64_t i : {0, 2, 3, 5, 8}) r.onData(i, message(i), 0);
  std::vector<SackRange> ranges;
  r.sackRanges(kMaxSackRanges, ranges);
  EXPECT_EQ(r.cumulative(), 1u);
  EXPECT_EQ(ranges, (std::vector<SackRange>{{1, 2}, {4, 1}, {7, 1}}));
  r.sackRanges(2, ranges);
  EXPECT_EQ(ranges, (std::vector<SackRange>{{1, 2}, {4, 1}}));  // the lowest first
}

}  // namespace
}  // namespace pigeon::transport::rudp
