// The retransmission timer: RTO doubling, Karn's rule, one backoff per round.

#include "SenderHarness.h"

#include <gtest/gtest.h>

namespace pigeon::transport::rudp {
namespace {

using test::kMs;
using test::SenderHarness;
using test::Transmission;

TEST(RudpSenderTimeout, ResendsAfterTheRtoAndDoublesItEachTime) {
  SenderHarness h;  // initial RTO 1 s
  h.send(1, 0);
  EXPECT_EQ(h.sender.nextTimeoutNs(), 1000 * kMs);
  h.sender.update(999 * kMs);
  EXPECT_EQ(h.takeSent().size(), 1u);  // only the first transmission

  h.sender.update(1000 * kMs);
  EXPECT_EQ(h.takeSent(), (std::vector<Transmission>{{0, 2}}));
  EXPECT_EQ(h.sender.rtt().rtoNs(), 2000 * kMs);
  EXPECT_EQ(h.sender.nextTimeoutNs(), 3000 * kMs);

  h.sender.update(3000 * kMs);
  EXPECT_EQ(h.takeSent(), (std::vector<Transmission>{{0, 3}}));
  EXPECT_EQ(h.sender.rtt().rtoNs(), 4000 * kMs);
  EXPECT_EQ(h.sender.nextTimeoutNs(), 7000 * kMs);
  EXPECT_EQ(h.counters.retransmitsTimeout, 2u);
  EXPECT_EQ(h.counters.timeouts, 2u);
}

TEST(RudpSenderTimeout, TakesNoRttSampleFromARetransmittedMessage) {
  SenderHarness h;
  h.send(1, 0);
  h.sender.update(1000 * kMs);  // resent as transmission 2
  EXPECT_EQ(h.sender.onAck(SenderHarness::ack(1, {}, Transmission{0, 2}), 1010 * kMs),
            DropReason::kNone);
  EXPECT_TRUE(h.sender.allAcked());
  EXPECT_FALSE(h.sender.rtt().hasSample());       // Karn's rule
  EXPECT_EQ(h.sender.rtt().rtoNs(), 2000 * kMs);  // the backoff stays

  h.send(1, 2000 * kMs);  // sent once: its ack is a fair sample
  h.sender.onAck(SenderHarness::ack(2, {}, Transmission{1, 3}), 2100 * kMs);
  EXPECT_EQ(h.sender.rtt().srttNs(), 100 * kMs);
  EXPECT_EQ(h.sender.rtt().rtoNs(), 300 * kMs);  // and it ends the backoff
}

TEST(RudpSenderTimeout, ExpiriesOfOneRoundDoubleTheRtoOnlyOnce) {
  SenderHarness h;
  h.send(1, 0);
  h.send(1, 1 * kMs);
  h.send(1, 2 * kMs);
  h.sender.update(1000 * kMs);  // the first expires
  h.sender.update(1001 * kMs);  // the second, sent before that backoff
  h.sender.update(1002 * kMs);
  EXPECT_EQ(h.counters.retransmitsTimeout, 3u);
  EXPECT_EQ(h.counters.timeouts, 1u);
  EXPECT_EQ(h.sender.rtt().rtoNs(), 2000 * kMs);
}

TEST(RudpSenderTimeout, StopsTheTimerWhenEverythingIsAcknowledged) {
  SenderHarness h;
  h.send(3, 0);
  h.sender.onAck(SenderHarness::ack(3), 10 * kMs);
  EXPECT_EQ(h.sender.nextTimeoutNs(), kNever);
}

}  // namespace
}  // namespace pigeon::transport::rudp

namespace pigeon::transport::rudp {
namespace {

using test::kMs;
using test::SenderHarness;
using test::Transmission;

// Issue 8 item 6: a tail loss (the last messages lost, nothing sent after
// them to trigger fast retransmit) waited for the RTO, at least 200 ms. A
// probe timeout of SRTT + max(G, 4 RTTVAR) now resends the oldest
// unacknowledged message after about two round trips.
TEST(RudpSenderProbe, RepairsATailLossInAboutTwoRoundTripsNotTheMinimumRto) {
  SenderHarness h;
  h.sender.rtt().addSample(2 * kMs);  // the handshake's round trip
  for (int i = 0; i < 8; ++i) h.sender.rtt().addSample(2 * kMs);
  h.send(4, 0);
  // 0 and 1 arrive; 2 and 3, the tail, are lost.
  h.sender.onAck(SenderHarness::ack(2, {}, Transmission{1, 2}), 2 * kMs);
  h.takeSent();
  std::int64_t repairedNs = -1;
  for (std::int64_t now = 2 * kMs; now <= 300 * kMs && repairedNs < 0; now += kMs / 10) {
    h.sender.update(now);
    if (!h.takeSent().empty()) repairedNs = now;
  }
  ASSERT_GE(repairedNs, 0) << "nothing was resent within 300 ms";
  EXPECT_LE(repairedNs, 8 * kMs) << "a tail loss waited " << repairedNs / kMs << " ms";
  EXPECT_EQ(h.counters.retransmitsProbe, 1u);
  EXPECT_EQ(h.counters.timeouts, 0u);  // no RTO expiry, no backoff
  EXPECT_EQ(h.sender.rtt().rtoNs(), 200 * kMs);
}

TEST(RudpSenderProbe, AProbesAckLetsLossDetectionResendTheRestOfTheTail) {
  SenderHarness h;
  for (int i = 0; i < 8; ++i) h.sender.rtt().addSample(2 * kMs);
  h.send(4, 0);
  h.sender.onAck(SenderHarness::ack(2, {}, Transmission{1, 2}), 2 * kMs);
  h.takeSent();
  const std::int64_t probeAt = h.sender.probeDeadlineNs();
  ASSERT_LT(probeAt, 10 * kMs);
  h.sender.update(probeAt);
  const auto probe = h.takeSent();
  ASSERT_EQ(probe, (std::vector<Transmission>{{2, 5}}));  // the oldest, once
  // The probe arrives: 3, sent long before it, is lost (time threshold).
  h.sender.onAck(SenderHarness::ack(3, {}, Transmission{2, 5}), probeAt + 2 * kMs);
  EXPECT_EQ(h.takeSent(), (std::vector<Transmission>{{3, 6}}));
  h.sender.onAck(SenderHarness::ack(4, {}, Transmission{3, 6}), probeAt + 4 * kMs);
  EXPECT_TRUE(h.sender.allAcked());
  EXPECT_EQ(h.counters.timeouts, 0u);
}

TEST(RudpSenderProbe, ALateSenderSendsOneProbeNotTheWindowAndBacksOffUntilAnAck) {
  // The sender's thread ran 150 ms late (a busy machine): one probe, not a
  // retransmission of all 100 messages in flight; unanswered probes double
  // the wait; an ack of new data ends the backoff.
  SenderHarness h;
  for (int i = 0; i < 8; ++i) h.sender.rtt().addSample(2 * kMs);
  h.send(100, 0);
  h.takeSent();
  h.sender.update(150 * kMs);
  EXPECT_EQ(h.takeSent().size(), 1u);
  EXPECT_EQ(h.counters.retransmitsTimeout, 0u);
  const std::int64_t first = h.sender.probeDeadlineNs() - 150 * kMs;
  h.sender.update(150 * kMs + first);
  EXPECT_EQ(h.takeSent().size(), 1u);
  EXPECT_EQ(h.sender.probeDeadlineNs() - (150 * kMs + first), 2 * first);
  h.sender.onAck(SenderHarness::ack(1, {}, Transmission{0, 1}), 160 * kMs);
  EXPECT_EQ(h.sender.probeDeadlineNs(), 160 * kMs + h.sender.rtt().ptoNs());
}

TEST(RudpSenderProbe, SendsNoProbeBeforeAnyRttSample) {
  SenderHarness h;  // no sample: the RTO (1 s initial) rules
  h.send(1, 0);
  EXPECT_EQ(h.sender.probeDeadlineNs(), kNever);
  h.sender.update(999 * kMs);
  EXPECT_EQ(h.takeSent().size(), 1u);
}

}  // namespace
}  // namespace pigeon::transport::rudp
