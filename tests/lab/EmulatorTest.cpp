#include "lab/Emulator.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <utility>
#include <vector>

using pigeon::lab::classify;
using pigeon::lab::Emulator;
using pigeon::lab::Protocol;
using pigeon::link::LinkSpec;
using Direction = pigeon::lab::Emulator::Direction;

namespace {

constexpr std::int64_t kMs = 1'000'000;

// A minimal IPv4 packet of `size` bytes carrying `protocol`; byte 19 (the
// last address byte) numbers it so a test can tell packets apart.
std::vector<unsigned char> ipv4(unsigned char protocol, std::uint8_t number,
                                std::size_t size = 100) {
  std::vector<unsigned char> p(size, 0);
  p[0] = 0x45;
  p[9] = protocol;
  p[19] = number;
  return p;
}

struct Delivered {
  Direction direction;
  std::vector<unsigned char> bytes;
  std::int64_t atNs;
};

// Delivers everything due, stepping the clock 100 us at a time up to `endNs`.
std::vector<Delivered> drain(Emulator& emulator, std::int64_t startNs, std::int64_t endNs) {
  std::vector<Delivered> out;
  for (std::int64_t now = startNs; now <= endNs; now += 100'000) {
    emulator.deliverDue(now, [&](Direction d, const std::vector<unsigned char>& bytes) {
      out.push_back({d, bytes, now});
    });
  }
  return out;
}

// RFC 4737: a packet is reordered when it arrives with a number below the
// highest seen (byte 19 of ipv4() numbers them, below 256 here).
std::uint64_t lateAsAReceiverCounts(const std::vector<Delivered>& out) {
  std::uint64_t late = 0;
  int highest = -1;
  for (const Delivered& d : out) {
    const int number = d.bytes[19];
    if (number < highest) ++late;
    highest = std::max(highest, number);
  }
  return late;
}

}  // namespace

TEST(LabClassify, ReadsTheProtocolOfIpv4AndIpv6AndRejectsShortPackets) {
  EXPECT_EQ(classify(ipv4(6, 0).data(), 100), Protocol::kTcp);
  EXPECT_EQ(classify(ipv4(17, 0).data(), 100), Protocol::kUdp);
  EXPECT_EQ(classify(ipv4(1, 0).data(), 100), Protocol::kOther);  // ICMP
  EXPECT_EQ(classify(ipv4(17, 0).data(), 19), Protocol::kOther);  // truncated header
  std::vector<unsigned char> v6(40, 0);
  v6[0] = 0x60;
  v6[6] = 17;
  EXPECT_EQ(classify(v6.data(), v6.size()), Protocol::kUdp);
  EXPECT_EQ(classify(v6.data(), 39), Protocol::kOther);
  EXPECT_EQ(classify(v6.data(), 0), Protocol::kOther);
}

TEST(LabEmulator, HoldsEachPacketForItsDirectionsDelay) {
  Emulator emulator(LinkSpec::parse("up.delay=25ms,down.delay=10ms"));
  const auto a = ipv4(17, 1);
  const auto b = ipv4(6, 2);
  emulator.onPacket(Direction::kUp, 0, a.data(), a.size());
  emulator.onPacket(Direction::kDown, 0, b.data(), b.size());
  ASSERT_EQ(emulator.nextDueNs(), 10 * kMs);
  const auto out = drain(emulator, 0, 30 * kMs);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].direction, Direction::kDown);
  EXPECT_EQ(out[0].atNs, 10 * kMs);
  EXPECT_EQ(out[0].bytes, b);
  EXPECT_EQ(out[1].direction, Direction::kUp);
  EXPECT_EQ(out[1].atNs, 25 * kMs);
  EXPECT_EQ(out[1].bytes, a);
  EXPECT_EQ(emulator.counters(Direction::kUp).delayP50Ns, 25 * kMs);
  EXPECT_EQ(emulator.counters(Direction::kDown).delayP99Ns, 10 * kMs);
  EXPECT_EQ(emulator.pending(), 0u);
}

TEST(LabEmulator, CountsLossPerProtocolAndMatchesWhatArrives) {
  Emulator emulator(LinkSpec::parse("loss=5%,seed=7"));
  constexpr int kPackets = 20'000;
  std::uint64_t arrived = 0;
  for (int i = 0; i < kPackets; ++i) {
    const auto p = ipv4(i % 2 ? 17 : 6, static_cast<std::uint8_t>(i));
    emulator.onPacket(Direction::kUp, i * 10'000, p.data(), p.size());
    emulator.deliverDue(i * 10'000, [&](Direction, const auto&) { ++arrived; });
  }
  const auto c = emulator.counters(Direction::kUp);
  EXPECT_EQ(c.udp.seen, kPackets / 2u);
  EXPECT_EQ(c.tcp.seen, kPackets / 2u);
  EXPECT_EQ(c.other.seen, 0u);
  const auto total = c.total();
  EXPECT_EQ(arrived + total.droppedByModel, static_cast<std::uint64_t>(kPackets));
  EXPECT_EQ(total.delivered, arrived);
  // 5 % of 20,000: 1,000 expected; the 99.9 % binomial interval is about +-101.
  EXPECT_NEAR(static_cast<double>(total.droppedByModel), 1000.0, 101.0);
  EXPECT_EQ(total.droppedByQueue, 0u);
  EXPECT_EQ(emulator.counters(Direction::kDown).total().seen, 0u);
}

TEST(LabEmulator, SameSpecAndSeedGiveTheSameDecisionsAndTheDirectionsDiffer) {
  const auto run = [](const char* spec, Direction direction) {
    Emulator emulator(LinkSpec::parse(spec));
    std::vector<int> kept;
    for (int i = 0; i < 2000; ++i) {
      const auto p = ipv4(17, static_cast<std::uint8_t>(i), 60 + i % 7);
      emulator.onPacket(direction, i * kMs, p.data(), p.size());
      emulator.deliverDue(i * kMs, [&](Direction, const auto&) { kept.push_back(i); });
    }
    return kept;
  };
  EXPECT_EQ(run("loss=10%,seed=3", Direction::kUp), run("loss=10%,seed=3", Direction::kUp));
  EXPECT_NE(run("loss=10%,seed=3", Direction::kUp), run("loss=10%,seed=4", Direction::kUp));
  EXPECT_NE(run("loss=10%,seed=3", Direction::kUp), run("loss=10%,seed=3", Direction::kDown));
}

TEST(LabEmulator, RateLimitDropsAtTheQueueNotTheModel) {
  // 1 mbit/s: a 125-byte packet takes 1 ms; 100 offered at once, queue 10.
  Emulator emulator(LinkSpec::parse("rate=1mbit,queue=10"));
  for (int i = 0; i < 100; ++i) {
    const auto p = ipv4(17, static_cast<std::uint8_t>(i), 125);
    emulator.onPacket(Direction::kUp, 0, p.data(), p.size());
  }
  const auto out = drain(emulator, 0, 20 * kMs);
  const auto c = emulator.counters(Direction::kUp).udp;
  EXPECT_EQ(c.droppedByQueue, 90u);
  EXPECT_EQ(c.droppedByModel, 0u);
  ASSERT_EQ(out.size(), 10u);
  EXPECT_EQ(out.back().atNs, 10 * kMs);
  EXPECT_EQ(emulator.counters(Direction::kUp).delayMaxNs, 10 * kMs);
}

TEST(LabEmulator, DuplicatesAndCorruptsCopiesAndSaysSo) {
  Emulator emulator(LinkSpec::parse("duplicate=100%,corrupt=100%,seed=2"));
  const auto p = ipv4(1, 9);
  emulator.onPacket(Direction::kDown, 0, p.data(), p.size());
  const auto out = drain(emulator, 0, kMs);
  ASSERT_EQ(out.size(), 2u);
  for (const auto& copy : out) {
    ASSERT_EQ(copy.bytes.size(), p.size());
    int differing = 0;
    for (std::size_t i = 0; i < p.size(); ++i) differing += copy.bytes[i] != p[i];
    EXPECT_EQ(differing, 1);
  }
  const auto c = emulator.counters(Direction::kDown).other;
  EXPECT_EQ(c.seen, 1u);
  EXPECT_EQ(c.duplicated, 1u);
  EXPECT_EQ(c.corrupted, 2u);
  EXPECT_EQ(c.delivered, 2u);
}

TEST(LabEmulator, ReorderHoldsCopiesBackSoLaterOnesOvertake) {
  Emulator emulator(LinkSpec::parse("reorder=30%/5ms,seed=5"));
  for (int i = 0; i < 200; ++i) {
    const auto p = ipv4(17, static_cast<std::uint8_t>(i));
    emulator.onPacket(Direction::kUp, i * kMs / 10, p.data(), p.size());
  }
  const auto out = drain(emulator, 0, 40 * kMs);
  ASSERT_EQ(out.size(), 200u);
  int inversions = 0;
  for (std::size_t i = 1; i < out.size(); ++i)
    inversions += out[i].bytes[19] < out[i - 1].bytes[19];
  const auto c = emulator.counters(Direction::kUp).udp;
  EXPECT_GT(c.heldBack, 30u);
  EXPECT_LT(c.heldBack, 90u);
  EXPECT_GT(inversions, 0);
  EXPECT_EQ(c.reordered, lateAsAReceiverCounts(out));
  EXPECT_LE(c.reordered, c.heldBack);  // nothing else reorders here
}

// A student compares the link's `reordered` with the bench's: under jitter
// alone packets swap, and both must say so alike.
TEST(LabEmulator, JitterAloneReordersAndTheCountIsTheReceiversOwn) {
  Emulator emulator(LinkSpec::parse("delay=10ms,jitter=2ms,seed=9"));
  for (int i = 0; i < 200; ++i) {
    const auto p = ipv4(17, static_cast<std::uint8_t>(i));
    emulator.onPacket(Direction::kUp, i * kMs / 2, p.data(), p.size());
  }
  const auto out = drain(emulator, 0, 200 * kMs);
  ASSERT_EQ(out.size(), 200u);
  const auto c = emulator.counters(Direction::kUp).udp;
  EXPECT_EQ(c.heldBack, 0u);
  EXPECT_GT(lateAsAReceiverCounts(out), 10u);  // 2 ms of jitter, 0.5 ms apart
  EXPECT_EQ(c.reordered, lateAsAReceiverCounts(out));
}

TEST(LabEmulator, UdpOfferedAtTwiceTheRateGetsTheRateThroughAndTheRestIsQueueDrops) {
  // 20 Mbit/s offered for 1 s (1250-byte packets every 500 us) into 10 Mbit/s
  // with a 50-packet queue: 1 ms per packet on the link.
  Emulator emulator(LinkSpec::parse("rate=10mbit,queue=50"));
  std::uint64_t delivered = 0;
  const auto count = [&](Direction, const std::vector<unsigned char>&) { ++delivered; };
  for (int i = 0; i < 2000; ++i) {
    const auto p = ipv4(17, static_cast<std::uint8_t>(i), 1250);
    emulator.onPacket(Direction::kUp, i * 500'000LL, p.data(), p.size());
    emulator.deliverDue(i * 500'000LL, count);
  }
  emulator.deliverDue(2 * 1'000'000'000LL, count);
  const auto c = emulator.counters(Direction::kUp).udp;
  EXPECT_EQ(delivered + c.droppedByQueue, 2000u);
  // What the link sent in the second (1,000) plus the queue still full at its end.
  EXPECT_NEAR(static_cast<double>(delivered), 1050.0, 2.0);
  EXPECT_EQ(c.droppedByModel, 0u);
  // A full 50-packet queue at 1 ms each is 50 ms of waiting.
  EXPECT_NEAR(static_cast<double>(emulator.counters(Direction::kUp).delayP99Ns), 50e6, 1e6);
}

TEST(LabEmulator, CountsHowLateCopiesLeftAgainstTheirDueTime) {
  Emulator emulator(LinkSpec::parse("up.delay=20ms"));
  const auto a = ipv4(17, 1);
  emulator.onPacket(Direction::kUp, 0, a.data(), a.size());
  emulator.onPacket(Direction::kUp, 0, a.data(), a.size());
  std::size_t written = 0;
  emulator.deliverDue(20 * kMs + 70'000,
                      [&](Direction, const std::vector<unsigned char>&) { ++written; });
  ASSERT_EQ(written, 2u);
  const auto up = emulator.counters(Direction::kUp);
  EXPECT_EQ(up.delayP99Ns, 20 * kMs);              // what the model decided
  EXPECT_EQ(up.lateMaxNs, 70'000);                 // how late the copies left: 70 us
  EXPECT_NEAR(up.lateP99Ns, 70'000, 70'000 / 50);  // a bucket's midpoint
  EXPECT_EQ(emulator.counters(Direction::kDown).lateP99Ns, 0);
}
