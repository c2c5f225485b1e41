// Loss detection from acks (RFC 9002 6.1): the packet and time thresholds,
// SACK, spurious retransmissions and the adaptive reordering threshold.

#include "SenderHarness.h"

#include <gtest/gtest.h>

namespace pigeon::transport::rudp {
namespace {

using test::kMs;
using test::SenderHarness;
using test::Transmission;
using Ranges = std::vector<std::pair<std::uint64_t, std::uint64_t>>;

// Messages 0..5 went out as transmissions 1..6 at t = 0; the acks below
// come 10 ms later, as if message 0 were held back on the way.
TEST(RudpSenderFastRetransmit, ResendsAMessageOnceThreeLaterOnesAreAcknowledged) {
  SenderHarness h;
  h.send(6, 0);
  h.takeSent();
  h.sender.onAck(SenderHarness::ack(0, Ranges{{1, 2}}, Transmission{1, 2}), 10 * kMs);
  h.sender.onAck(SenderHarness::ack(0, Ranges{{1, 3}}, Transmission{2, 3}), 10 * kMs);
  EXPECT_TRUE(h.takeSent().empty());
  h.sender.onAck(SenderHarness::ack(0, Ranges{{1, 4}}, Transmission{3, 4}), 10 * kMs);
  EXPECT_EQ(h.takeSent(), (std::vector<Transmission>{{0, 7}}));
  EXPECT_EQ(h.counters.retransmitsFast, 1u);
  EXPECT_EQ(h.counters.retransmitsTimeout, 0u);
}

TEST(RudpSenderFastRetransmit, DoesNotResendAfterASingleReorder) {
  SenderHarness h;
  h.send(6, 0);
  h.takeSent();
  // 1 overtook 0, then 0 arrived: one reorder, nothing lost.
  h.sender.onAck(SenderHarness::ack(0, Ranges{{1, 2}}, Transmission{1, 2}), 10 * kMs);
  h.sender.onAck(SenderHarness::ack(2, {}, Transmission{0, 1}), 10'500'000);
  h.sender.onAck(SenderHarness::ack(3, {}, Transmission{2, 3}), 11 * kMs);
  EXPECT_TRUE(h.takeSent().empty());
  EXPECT_EQ(h.counters.retransmitsFast + h.counters.spuriousRetransmits, 0u);
}

TEST(RudpSenderFastRetransmit, ResendsAMessageOvertakenAndStillMissingAfterNineEighthsOfAnRtt) {
  SenderHarness h;
  h.send(2, 0);
  h.takeSent();
  // 1 arrived (RTT sample 10 ms), 0 did not: lost after 9/8 x 10 ms.
  h.sender.onAck(SenderHarness::ack(0, Ranges{{1, 2}}, Transmission{1, 2}), 10 * kMs);
  EXPECT_TRUE(h.takeSent().empty());
  EXPECT_EQ(h.sender.nextTimeoutNs(), 11'250'000);
  h.sender.update(11'250'000);
  EXPECT_EQ(h.takeSent(), (std::vector<Transmission>{{0, 3}}));
  EXPECT_EQ(h.counters.retransmitsFast, 1u);
}

TEST(RudpSenderFastRetransmit, ResendsOnlyWhatTheSackRangesLeaveOut) {
  SenderHarness h;
  h.send(10, 0);
  h.takeSent();
  h.sender.onAck(SenderHarness::ack(0, Ranges{{2, 6}, {7, 10}}, Transmission{9, 10}), 10 * kMs);
  EXPECT_EQ(h.takeSent(), (std::vector<Transmission>{{0, 11}, {1, 12}, {6, 13}}));
}

TEST(RudpSenderFastRetransmit, CountsAResendAsSpuriousWhenTheOriginalTurnsUp) {
  SenderHarness h;
  h.send(5, 0);
  for (std::uint64_t i = 1; i <= 3; ++i) {
    h.sender.onAck(SenderHarness::ack(0, Ranges{{1, i + 1}}, Transmission{i, i + 1}), 10 * kMs);
  }
  EXPECT_EQ(h.counters.retransmitsFast, 1u);
  EXPECT_EQ(h.counters.spuriousRetransmits, 0u);
  // The ack for transmission 1 of message 0: it was late, not lost.
  h.sender.onAck(SenderHarness::ack(4, {}, Transmission{0, 1}), 12 * kMs);
  EXPECT_EQ(h.counters.spuriousRetransmits, 1u);
  // ... and the ack for the resend, later, changes nothing.
  h.sender.onAck(SenderHarness::ack(4, {}, Transmission{0, 6}), 13 * kMs);
  EXPECT_EQ(h.counters.spuriousRetransmits, 1u);
}

TEST(RudpSenderFastRetransmit, DoesNotCallAResendSpuriousWhenOnlyTheResendArrived) {
  SenderHarness h;
  h.send(5, 0);
  for (std::uint64_t i = 1; i <= 3; ++i) {
    h.sender.onAck(SenderHarness::ack(0, Ranges{{1, i + 1}}, Transmission{i, i + 1}), 10 * kMs);
  }
  h.sender.onAck(SenderHarness::ack(4, {}, Transmission{0, 6}), 30 * kMs);
  EXPECT_EQ(h.counters.spuriousRetransmits, 0u);
}

TEST(RudpSenderFastRetransmit, RaisesTheReorderThresholdAfterASpuriousResend) {
  for (const bool adaptive : {true, false}) {
    RudpOptions options;
    options.adaptiveReordering = adaptive;
    SenderHarness h(options);
    h.send(8, 0);
    for (std::uint64_t i = 1; i <= 5; ++i) {
      h.sender.onAck(SenderHarness::ack(0, Ranges{{1, i + 1}}, Transmission{i, i + 1}), 10 * kMs);
    }
    h.sender.onAck(SenderHarness::ack(6, {}, Transmission{0, 1}), 11 * kMs);
    // Message 0 was declared lost 3 transmissions behind: it is now 4.
    EXPECT_EQ(h.sender.reorderThreshold(), adaptive ? 4u : 3u);
  }
}

TEST(RudpSenderFastRetransmit, RefusesAnAckForWhatWasNeverSentAndChangesNothing) {
  SenderHarness h;
  h.send(3, 0);
  EXPECT_EQ(h.sender.onAck(SenderHarness::ack(4), kMs), DropReason::kAckOutOfRange);
  EXPECT_EQ(h.sender.onAck(SenderHarness::ack(0, Ranges{{1, 5}}), kMs), DropReason::kAckOutOfRange);
  EXPECT_EQ(h.sender.onAck(SenderHarness::ack(1, {}, Transmission{2, 99}), kMs),
            DropReason::kAckOutOfRange);
  EXPECT_EQ(h.sender.inFlight(), 3u);
}

TEST(RudpSenderFastRetransmit, AnAckFromBeforeTheLatestChangesNothing) {
  SenderHarness h;
  h.send(3, 0);
  h.sender.onAck(SenderHarness::ack(2, {}, {}, 10), kMs);
  EXPECT_EQ(h.sender.onAck(SenderHarness::ack(1, {}, {}, 1), 2 * kMs), DropReason::kNone);
  EXPECT_EQ(h.sender.inFlight(), 1u);
  EXPECT_TRUE(h.sender.canSend());  // the older ack's smaller window is ignored
}

}  // namespace
}  // namespace pigeon::transport::rudp

namespace pigeon::transport::rudp {
namespace {

// Issue 8 item 6: after a stall, a burst through a lossy link leaves more
// holes than one ack's 32 SACK ranges describe. Messages above the last
// range were taken for lost (a later transmission had arrived) and resent
// although most had arrived: hundreds of duplicates and a p99 of 200+ ms.
TEST(RudpSenderFastRetransmit, ResendsNothingAboveWhatAFullAckCouldDescribe) {
  test::SenderHarness h;
  for (int i = 0; i < 8; ++i) h.sender.rtt().addSample(2 * test::kMs);
  h.send(100, 0);
  h.takeSent();
  // Every even message lost, every odd one arrived; the ack describes the
  // first 32 holes' neighbours, [1,2) ... [63,64), and echoes message 99.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
  for (std::uint64_t i = 1; ranges.size() < kMaxSackRanges; i += 2) ranges.push_back({i, i + 1});
  h.sender.onAck(test::SenderHarness::ack(0, ranges, test::Transmission{99, 100}), 10 * test::kMs);
  const auto resent = h.takeSent();
  EXPECT_EQ(resent.size(), 32u);
  for (const auto& t : resent) {
    EXPECT_LT(t.index, 64u);
    EXPECT_EQ(t.index % 2, 0u);
  }
}

}  // namespace
}  // namespace pigeon::transport::rudp
