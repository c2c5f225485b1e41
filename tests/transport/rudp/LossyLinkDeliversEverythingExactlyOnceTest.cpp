// Through a seeded link with 30% loss, 10% reorder, 5% duplication and 1%
// corruption in both directions, every message arrives exactly once, in
// order when ordered, with its payload intact, for each ARQ scheme.

#include "SimulatedLink.h"

#include <gtest/gtest.h>

#include <vector>

namespace pigeon::transport::rudp {
namespace {

using test::SimulatedLink;

link::DirectionSpec harshLink(std::uint64_t seed) {
  link::DirectionSpec spec;
  spec.lossProbability = 0.30;
  spec.reorderProbability = 0.10;
  spec.reorderHoldNs = 15'000'000;
  spec.duplicateProbability = 0.05;
  spec.corruptProbability = 0.01;
  spec.delayNs = 10'000'000;
  spec.jitterNs = 1'000'000;
  spec.seed = seed;
  return spec;
}

// The payload of message `i`: 8 to 71 bytes derived from i.
wire::Bytes payloadFor(std::uint64_t i) {
  wire::Bytes bytes(8 + i % 64);
  std::uint64_t x = i * 0x9E3779B97F4A7C15ull + 1;
  for (auto& b : bytes) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    b = static_cast<std::uint8_t>(x);
  }
  return bytes;
}

std::uint64_t fnv1a(wire::ByteSpan bytes) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (std::uint8_t b : bytes) h = (h ^ b) * 0x100000001b3ull;
  return h;
}

struct Outcome {
  std::uint64_t delivered = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t outOfOrder = 0;
  std::uint64_t badPayloads = 0;
  std::uint64_t badHeaders = 0;
};

Outcome run(ArqScheme arq, DeliveryMode delivery, std::uint64_t messages, std::uint32_t window,
            RudpCounters& clientCounters) {
  RudpOptions options;
  options.arq = arq;
  options.delivery = delivery;
  options.sendWindowMessages = window;
  options.receiveWindowMessages = std::max<std::uint32_t>(window, 64);
  options.idleTimeoutMs = 600'000;
  SimulatedLink net(harshLink(11), harshLink(12), options, options);
  EXPECT_TRUE(net.connect());

  std::vector<bool> seen(messages, false);
  Outcome out;
  std::uint64_t sent = 0;
  std::uint64_t expected = 0;
  while (out.delivered < messages || !net.client().allAcked()) {
    while (sent < messages && net.client().canSend()) {
      wire::Header h;
      h.type = wire::MessageType::kData;
      h.streamId = 7;
      h.sequence = sent;
      h.sendTimeNs = 1000 + sent;
      net.client().send(h, payloadFor(sent), net.nowNs());
      ++sent;
    }
    if (!net.step()) break;
    while (auto m = net.server().takeMessage(net.nowNs())) {
      const std::uint64_t seq = m->header.sequence;
      if (seq >= messages || m->header.streamId != 7 || m->header.sendTimeNs != 1000 + seq ||
          m->header.type != wire::MessageType::kData) {
        ++out.badHeaders;
        continue;
      }
      if (seen[seq]) ++out.duplicates;
      seen[seq] = true;
      if (seq != expected) ++out.outOfOrder;
      expected = seq + 1;
      if (fnv1a(m->payload) != fnv1a(payloadFor(seq))) ++out.badPayloads;
      ++out.delivered;
    }
  }
  clientCounters = net.client().counters();
  const RudpCounters server = net.server().counters();
  // The link did corrupt datagrams, and the endpoints caught them.
  EXPECT_GT(net.up().counters().corrupted + net.down().counters().corrupted, 0u);
  EXPECT_GT(clientCounters.corruptDropped + server.corruptDropped, 0u);
  EXPECT_GT(server.duplicatesDiscarded, 0u);
  return out;
}

void expectExactlyOnce(const Outcome& out, std::uint64_t messages, bool ordered) {
  EXPECT_EQ(out.delivered, messages);
  EXPECT_EQ(out.duplicates, 0u);
  EXPECT_EQ(out.badPayloads, 0u);
  EXPECT_EQ(out.badHeaders, 0u);
  if (ordered) {
    EXPECT_EQ(out.outOfOrder, 0u);
  }
}

TEST(RudpLossyLink, SelectiveRepeatOrderedDeliversAHundredThousandMessagesExactlyOnceInOrder) {
  RudpCounters c;
  const Outcome out = run(ArqScheme::kSelectiveRepeat, DeliveryMode::kOrdered, 100'000, 128, c);
  expectExactlyOnce(out, 100'000, true);
  EXPECT_GT(c.retransmitsFast, 0u);
  EXPECT_GT(c.retransmitsTimeout, 0u);
}

TEST(RudpLossyLink, SelectiveRepeatUnorderedDeliversAHundredThousandMessagesExactlyOnce) {
  RudpCounters c;
  const Outcome out = run(ArqScheme::kSelectiveRepeat, DeliveryMode::kUnordered, 100'000, 128, c);
  expectExactlyOnce(out, 100'000, false);
  EXPECT_GT(out.outOfOrder, 0u);  // it really did not wait for gaps
}

TEST(RudpLossyLink, GoBackNDeliversAHundredThousandMessagesExactlyOnceInOrder) {
  RudpCounters c;
  const Outcome out = run(ArqScheme::kGoBackN, DeliveryMode::kOrdered, 100'000, 8, c);
  expectExactlyOnce(out, 100'000, true);
}

TEST(RudpLossyLink, StopAndWaitDeliversFiveThousandMessagesExactlyOnceInOrder) {
  RudpCounters c;
  const Outcome out = run(ArqScheme::kStopAndWait, DeliveryMode::kOrdered, 5'000, 1, c);
  expectExactlyOnce(out, 5'000, true);
  EXPECT_EQ(c.retransmitsFast, 0u);  // one in flight: only timeouts can resend
}

}  // namespace
}  // namespace pigeon::transport::rudp
