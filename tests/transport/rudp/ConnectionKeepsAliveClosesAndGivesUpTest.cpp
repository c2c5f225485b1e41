// A connection's life on a fake clock: keepalive, idle timeout, close,
// flow control, and acknowledgements reported to the application.

#include "SimulatedLink.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace pigeon::transport::rudp {
namespace {

using test::SimulatedLink;
using State = RudpConnection::State;
constexpr std::int64_t kMs = 1'000'000;

link::DirectionSpec delay(std::int64_t ms, double loss = 0, std::uint64_t seed = 1) {
  link::DirectionSpec spec;
  spec.delayNs = ms * kMs;
  spec.lossProbability = loss;
  spec.seed = seed;
  return spec;
}

wire::Header header(std::uint64_t sequence) {
  wire::Header h;
  h.streamId = 1;
  h.sequence = sequence;
  return h;
}

TEST(RudpConnection, AQuietPeerIsAskedToAnswerAndStaysConnected) {
  SimulatedLink net(delay(10), delay(10), RudpOptions{}, RudpOptions{});
  ASSERT_TRUE(net.connect());
  const std::int64_t until = net.nowNs() + 60'000 * kMs;  // six idle timeouts
  net.runUntil([] { return false; }, until);
  EXPECT_EQ(net.client().state(), State::kOpen);
  EXPECT_EQ(net.server().state(), State::kOpen);
  EXPECT_GE(net.client().counters().acksSent, 50u);  // about one probe a second
}

TEST(RudpConnection, FailsAfterTheIdleTimeoutWhenThePeerFallsSilent) {
  RudpOptions options;
  options.idleTimeoutMs = 3000;
  SimulatedLink net(delay(10), delay(10), options, options);
  ASSERT_TRUE(net.connect());
  net.cut(false, true);  // nothing reaches the client any more
  const std::int64_t cutNs = net.nowNs();
  ASSERT_TRUE(
      net.runUntil([&] { return net.client().state() == State::kFailed; }, cutNs + 10'000 * kMs));
  EXPECT_LE(net.nowNs() - cutNs, 3000 * kMs);
  EXPECT_EQ(net.client().failure(), "no datagram from the peer for 3000 ms (idle timeout)");
}

TEST(RudpConnection, ConfirmsACloseOnlyOnceThePeerHasEveryMessage) {
  SimulatedLink net(delay(10, 0.3, 5), delay(10, 0.3, 6), RudpOptions{}, RudpOptions{});
  ASSERT_TRUE(net.connect());
  for (std::uint64_t i = 0; i < 20; ++i)
    net.client().send(header(i), wire::asBytes("x"), net.nowNs());
  net.client().close(net.nowNs());  // at once, with everything still in flight
  EXPECT_FALSE(net.client().canSend());
  std::uint64_t received = 0;
  ASSERT_TRUE(net.runUntil(
      [&] {
        while (net.server().takeMessage(net.nowNs())) ++received;
        if (net.server().state() == State::kPeerClosed) {
          EXPECT_EQ(received, 20u);  // closed only with everything in hand
        }
        return net.client().state() == State::kClosed;
      },
      net.nowNs() + 2'000 * kMs));
  EXPECT_TRUE(net.client().closeConfirmed());
  EXPECT_EQ(net.server().state(), State::kPeerClosed);
  EXPECT_EQ(received, 20u);
}

TEST(RudpConnection, GivesUpOnAnUnansweredCloseAfterTheCloseTimeout) {
  SimulatedLink net(delay(10), delay(10), RudpOptions{}, RudpOptions{});
  ASSERT_TRUE(net.connect());
  net.cut(true, true);
  const std::int64_t startNs = net.nowNs();
  net.client().close(startNs);
  ASSERT_TRUE(
      net.runUntil([&] { return net.client().state() == State::kClosed; }, startNs + 10'000 * kMs));
  EXPECT_FALSE(net.client().closeConfirmed());
  EXPECT_EQ(net.nowNs() - startNs, 2000 * kMs);  // closeTimeoutMs
}

TEST(RudpConnection, AWindowShutByASlowReaderReopensWhenItReads) {
  RudpOptions options;
  options.receiveWindowMessages = 4;
  SimulatedLink net(delay(10), delay(10), options, options);
  ASSERT_TRUE(net.connect());
  std::uint64_t sent = 0;
  while (net.client().canSend()) net.client().send(header(sent++), wire::asBytes("x"), net.nowNs());
  EXPECT_EQ(sent, 4u);
  net.runUntil([&] { return net.client().allAcked(); }, net.nowNs() + 1000 * kMs);
  EXPECT_FALSE(net.client().canSend());  // acked, but the reader has not read
  net.cut(false, true);                  // the window update will be lost ...
  while (net.server().takeMessage(net.nowNs())) {
  }
  net.runUntil([] { return false; }, net.nowNs() + 50 * kMs);
  net.cut(false, false);  // ... so the client's persist probe must find out
  EXPECT_TRUE(net.runUntil([&] { return net.client().canSend(); }, net.nowNs() + 5000 * kMs));
}

TEST(RudpConnection, ReportsEachAcknowledgedMessageWithTheUsersFields) {
  SimulatedLink net(delay(10, 0.3, 8), delay(10, 0.3, 9), RudpOptions{}, RudpOptions{});
  ASSERT_TRUE(net.connect());
  std::vector<AckedMessage> acked;
  net.client().setAckedHandler([&](const AckedMessage& m) { acked.push_back(m); });
  for (std::uint64_t i = 0; i < 50; ++i) {
    wire::Header h = header(100 + i);
    h.sendTimeNs = 0;  // filled in with the first transmission's time
    net.client().send(h, wire::asBytes("x"), net.nowNs());
  }
  ASSERT_TRUE(net.runUntil([&] { return net.client().allAcked(); }, net.nowNs() + 60'000 * kMs));
  ASSERT_EQ(acked.size(), 50u);
  std::vector<bool> seen(50, false);
  for (const AckedMessage& m : acked) {
    ASSERT_GE(m.sequence, 100u);
    seen[m.sequence - 100] = true;
    EXPECT_GT(m.sendTimeNs, 0u);
    EXPECT_GE(m.transmissions, 1u);
  }
  EXPECT_EQ(std::count(seen.begin(), seen.end(), true), 50);
}

}  // namespace
}  // namespace pigeon::transport::rudp
