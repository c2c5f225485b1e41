// The classic ARQ schemes: go-back-n resends the window, stop-and-wait keeps
// one message in flight; both receivers take only the next message in order.

#include "SenderHarness.h"
#include "transport/rudp/RudpReceiver.h"

#include <gtest/gtest.h>

namespace pigeon::transport::rudp {
namespace {

using test::kMs;
using test::SenderHarness;
using test::Transmission;

RudpOptions window(std::uint32_t messages) {
  RudpOptions o;
  o.sendWindowMessages = messages;
  return o;
}

RudpMessage message(std::uint64_t sequence) {
  RudpMessage m;
  m.header.sequence = sequence;
  return m;
}

TEST(RudpGoBackN, ATimeoutResendsTheWholeWindow) {
  SenderHarness h(window(4), ArqScheme::kGoBackN);
  h.send(4, 0);
  EXPECT_FALSE(h.sender.canSend());
  h.takeSent();
  h.sender.onAck(SenderHarness::ack(1, {}, Transmission{0, 1}), 10 * kMs);  // 0 arrived
  h.sender.update(10 * kMs + h.sender.rtt().rtoNs());
  EXPECT_EQ(h.takeSent(), (std::vector<Transmission>{{1, 5}, {2, 6}, {3, 7}}));
  EXPECT_EQ(h.counters.retransmitsTimeout, 3u);
  EXPECT_EQ(h.counters.timeouts, 1u);
}

TEST(RudpGoBackN, ThreeDiscardedLaterMessagesResendTheWindowAtOnce) {
  SenderHarness h(window(8), ArqScheme::kGoBackN);
  h.send(5, 0);
  h.takeSent();
  for (std::uint64_t i = 1; i <= 3; ++i) {  // 0 lost; 1..3 arrive and are discarded
    AckPacket a = SenderHarness::ack(0, {}, Transmission{i, i + 1});
    a.flags |= ackflags::kEchoDiscarded;
    h.sender.onAck(a, 10 * kMs);
  }
  EXPECT_EQ(h.takeSent(), (std::vector<Transmission>{{0, 6}, {1, 7}, {2, 8}, {3, 9}, {4, 10}}));
  EXPECT_EQ(h.counters.retransmitsFast, 5u);
  EXPECT_EQ(h.counters.spuriousRetransmits, 0u);  // discarded copies were needed again
}

TEST(RudpGoBackN, TheReceiverDiscardsWhatComesAfterAGap) {
  RudpReceiver r(8, ArqScheme::kGoBackN, DeliveryMode::kUnordered);
  EXPECT_EQ(r.onData(1, message(1), 0), RudpReceiver::Verdict::kOutOfOrderDiscarded);
  EXPECT_EQ(r.onData(0, message(0), 0), RudpReceiver::Verdict::kAccepted);
  EXPECT_EQ(r.onData(1, message(1), 0), RudpReceiver::Verdict::kAccepted);
  EXPECT_EQ(r.cumulative(), 2u);
  std::vector<SackRange> ranges;
  r.sackRanges(kMaxSackRanges, ranges);
  EXPECT_TRUE(ranges.empty());
}

TEST(RudpStopAndWait, KeepsOneMessageInFlightWhateverTheWindowOption) {
  SenderHarness h(window(256), ArqScheme::kStopAndWait);
  h.send(1, 0);
  EXPECT_FALSE(h.sender.canSend());
  h.sender.onAck(SenderHarness::ack(1, {}, Transmission{0, 1}), 10 * kMs);
  EXPECT_TRUE(h.sender.canSend());
}

TEST(RudpStopAndWait, ResendsTheOneMessageOnTimeout) {
  SenderHarness h(window(1), ArqScheme::kStopAndWait);
  h.send(1, 0);
  h.takeSent();
  h.sender.update(h.sender.nextTimeoutNs());
  EXPECT_EQ(h.takeSent(), (std::vector<Transmission>{{0, 2}}));
}

TEST(RudpStopAndWait, TheReceiverTakesOnlyTheNextMessage) {
  RudpReceiver r(8, ArqScheme::kStopAndWait, DeliveryMode::kOrdered);
  EXPECT_EQ(r.onData(1, message(1), 0), RudpReceiver::Verdict::kOutOfOrderDiscarded);
  EXPECT_EQ(r.onData(0, message(0), 0), RudpReceiver::Verdict::kAccepted);
  EXPECT_EQ(r.onData(0, message(0), 0), RudpReceiver::Verdict::kDuplicate);
}

}  // namespace
}  // namespace pigeon::transport::rudp
