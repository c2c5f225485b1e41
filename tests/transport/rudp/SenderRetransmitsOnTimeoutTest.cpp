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
