#include "link/ImpairmentModel.h"

#include "Intervals.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

using pigeon::link::Delivery;
using pigeon::link::DirectionSpec;
using pigeon::link::ImpairmentCounters;
using pigeon::link::ImpairmentModel;
using pigeon::link::LinkSpec;
using namespace pigeon::link::stats;

namespace {

constexpr std::uint64_t kPackets = 100'000;
constexpr std::int64_t kMs = 1'000'000;

DirectionSpec spec(const char* text) { return LinkSpec::parse(text).up; }

// Offers kPackets packets of 100 bytes, one per millisecond.
std::vector<Delivery> offerSteadily(ImpairmentModel& model, std::uint64_t packets = kPackets) {
  std::vector<Delivery> out;
  for (std::uint64_t i = 0; i < packets; ++i) {
    model.onPacket(static_cast<std::int64_t>(i) * kMs, 100, out);
  }
  return out;
}

void expectBalanced(const ImpairmentCounters& c) {
  EXPECT_EQ(c.offered + c.duplicated, c.passed + c.dropped());
}

}  // namespace

TEST(ImpairmentModel, PassesEverythingUntouchedOnACleanLink) {
  ImpairmentModel model(DirectionSpec{});
  const auto out = model.onPacket(42, 1200);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], Delivery{.deliverAtNs = 42});
}

TEST(ImpairmentModel, MakesTheSameDecisionsForTheSameSeedAndInputs) {
  const DirectionSpec everything = spec(
      "loss=3%,burst=1%/20%,delay=10ms,jitter=2ms,reorder=5%,duplicate=5%,corrupt=5%,"
      "rate=10mbit,queue=20,seed=99");
  ImpairmentModel a(everything);
  ImpairmentModel b(everything);
  std::vector<Delivery> outA;
  std::vector<Delivery> outB;
  for (std::int64_t i = 0; i < 20'000; ++i) {
    const std::int64_t nowNs = i * 300'000 + (i % 7) * 11'111;
    const std::size_t size = 40 + static_cast<std::size_t>(i * 37 % 1400);
    a.onPacket(nowNs, size, outA);
    b.onPacket(nowNs, size, outB);
  }
  EXPECT_EQ(outA, outB);
  EXPECT_EQ(a.counters(), b.counters());
  expectBalanced(a.counters());
  EXPECT_GT(a.counters().droppedByQueue, 0u);  // every impairment took part

  DirectionSpec otherSeed = everything;
  otherSeed.seed = 100;
  ImpairmentModel c(otherSeed);
  ImpairmentModel d(everything, /*stream=*/1);
  std::vector<Delivery> outC;
  std::vector<Delivery> outD;
  for (std::int64_t i = 0; i < 20'000; ++i) {
    const std::int64_t nowNs = i * 300'000 + (i % 7) * 11'111;
    const std::size_t size = 40 + static_cast<std::size_t>(i * 37 % 1400);
    c.onPacket(nowNs, size, outC);
    d.onPacket(nowNs, size, outD);
  }
  EXPECT_NE(outA, outC);
  EXPECT_NE(outA, outD);
}

TEST(ImpairmentModel, KeepsTheDecisionsOfARecordedSeed) {
  // Pinned: a scenario recorded with seed=7 must replay the same after any
  // change to the code. Update only on a deliberate, documented change.
  ImpairmentModel model(spec("loss=50%,seed=7"));
  std::string pattern;
  for (int i = 0; i < 32; ++i) pattern += model.onPacket(i, 10).empty() ? 'x' : '.';
  EXPECT_EQ(pattern, ".x.xx.x...xxx.x.xxx.x.xx..x..xxx");
}

TEST(ImpairmentModel, DrawsTheSameLossesWhateverTheArrivalTimes) {
  // Packets close together overflow the queue; spread out they do not. The
  // random decisions about each packet must not change with that.
  const DirectionSpec s = spec("loss=10%,duplicate=10%,corrupt=10%,rate=1mbit,queue=2,seed=6");
  ImpairmentModel tight(s);
  ImpairmentModel spread(s);
  for (std::int64_t i = 0; i < 2000; ++i) {
    const ImpairmentCounters before = tight.counters();
    const ImpairmentCounters beforeSpread = spread.counters();
    tight.onPacket(i * 1000, 500);
    spread.onPacket(i * 100 * kMs, 500);
    EXPECT_EQ(tight.counters().droppedByLoss - before.droppedByLoss,
              spread.counters().droppedByLoss - beforeSpread.droppedByLoss);
    EXPECT_EQ(tight.counters().duplicated - before.duplicated,
              spread.counters().duplicated - beforeSpread.duplicated);
  }
  EXPECT_GT(tight.counters().droppedByQueue, 0u);
  EXPECT_EQ(spread.counters().droppedByQueue, 0u);
}

TEST(ImpairmentModel, LosesPacketsAtTheConfiguredRate) {
  for (const double p : {0.001, 0.05, 0.5}) {
    DirectionSpec s;
    s.lossProbability = p;
    s.seed = 11;
    ImpairmentModel model(s);
    offerSteadily(model);
    const CountInterval expected = binomialInterval999(kPackets, p);
    EXPECT_TRUE(expected.contains(model.counters().droppedByLoss))
        << "p=" << p << " lost " << model.counters().droppedByLoss << ", expected " << expected.low
        << ".." << expected.high;
    expectBalanced(model.counters());
  }
}

TEST(ImpairmentModel, LosesEverythingAtFullLossAndNothingAtZero) {
  ImpairmentModel all(spec("loss=100%"));
  EXPECT_TRUE(offerSteadily(all, 1000).empty());
  ImpairmentModel none(spec("loss=0%"));
  EXPECT_EQ(offerSteadily(none, 1000).size(), 1000u);
}

TEST(ImpairmentModel, LosesBurstsAtTheGilbertElliottStationaryRate) {
  for (const char* text : {"burst=1%/10%,seed=3", "burst=5%/30%/50%/1%,seed=4"}) {
    const DirectionSpec s = spec(text);
    const auto& ge = *s.burst;
    ImpairmentModel model(s);
    constexpr std::uint64_t kN = 1'000'000;
    offerSteadily(model, kN);

    // The loss indicators of a two-state Markov chain are correlated: the
    // variance of their mean is (mu(1-mu) + 2 (b-g)^2 piB piG lambda/(1-lambda)) / n,
    // lambda = 1 - p - r. The chain starts good: allow for that bias too.
    const double p = ge.enterBadProbability;
    const double r = ge.leaveBadProbability;
    const double b = ge.lossInBadProbability;
    const double g = ge.lossInGoodProbability;
    const double piB = p / (p + r);
    const double mu = ge.stationaryLossProbability();
    const double lambda = 1.0 - p - r;
    const double variance =
        mu * (1 - mu) + 2 * (b - g) * (b - g) * piB * (1 - piB) * lambda / (1 - lambda);
    const double startBias = piB * std::abs(b - g) / ((p + r) * static_cast<double>(kN));
    const double tolerance = meanTolerance999(std::sqrt(variance), kN) + startBias;
    const double measured = static_cast<double>(model.counters().droppedByBurst) / kN;
    EXPECT_NEAR(measured, mu, tolerance) << text;
  }
}

TEST(ImpairmentModel, LosesInRunsAsLongAsTheBadStateLasts) {
  // With BAD=100% and GOOD=0%, a run of losses is one stay in the bad
  // state: geometric with mean 1/r and variance (1-r)/r^2.
  ImpairmentModel model(spec("burst=1%/20%,seed=5"));
  std::uint64_t runs = 0;
  std::uint64_t lost = 0;
  bool inRun = false;
  for (std::uint64_t i = 0; i < 1'000'000; ++i) {
    const bool dropped = model.onPacket(static_cast<std::int64_t>(i), 10).empty();
    if (dropped && !inRun) ++runs;
    lost += dropped ? 1 : 0;
    inRun = dropped;
  }
  ASSERT_GT(runs, 100u);
  const double r = 0.20;
  const double meanRun = static_cast<double>(lost) / static_cast<double>(runs);
  EXPECT_NEAR(meanRun, 1 / r, meanTolerance999(std::sqrt(1 - r) / r, runs));
}

TEST(ImpairmentModel, DelaysAndJittersWhereConfigured) {
  ImpairmentModel model(spec("delay=20ms,jitter=5ms,seed=8"));
  double sum = 0;
  double sumSquares = 0;
  for (std::uint64_t i = 0; i < kPackets; ++i) {
    const std::int64_t nowNs = static_cast<std::int64_t>(i) * kMs;
    const auto out = model.onPacket(nowNs, 100);
    ASSERT_EQ(out.size(), 1u);
    const double delayMs = static_cast<double>(out[0].deliverAtNs - nowNs) / kMs;
    ASSERT_GE(delayMs, 0.0);
    sum += delayMs;
    sumSquares += delayMs * delayMs;
  }
  const double n = static_cast<double>(kPackets);
  const double mean = sum / n;
  const double stddev = std::sqrt((sumSquares - n * mean * mean) / (n - 1));
  EXPECT_NEAR(mean, 20.0, meanTolerance999(5.0, kPackets));
  double low = 0;
  double high = 0;
  stddevBounds999(5.0, kPackets, low, high);
  EXPECT_GE(stddev, low);
  EXPECT_LE(stddev, high);
}

TEST(ImpairmentModel, DelaysEveryPacketExactlyWithoutJitter) {
  ImpairmentModel model(spec("delay=1s"));
  EXPECT_EQ(model.onPacket(5, 100).at(0).deliverAtNs, 1'000'000'005);
}

TEST(ImpairmentModel, HoldsBackPacketsForReorderingAtTheConfiguredRate) {
  ImpairmentModel model(spec("reorder=10%/4ms,seed=9"));
  const auto out = offerSteadily(model);
  ASSERT_EQ(out.size(), kPackets);
  std::uint64_t overtaken = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const auto sentNs = static_cast<std::int64_t>(i) * kMs;
    EXPECT_EQ(out[i].deliverAtNs - sentNs, out[i].heldBack ? 4 * kMs : 0);
    if (i + 1 < out.size() && out[i].deliverAtNs > out[i + 1].deliverAtNs) ++overtaken;
  }
  EXPECT_TRUE(binomialInterval999(kPackets, 0.10).contains(model.counters().heldBack));
  EXPECT_GT(overtaken, 0u);
}

TEST(ImpairmentModel, DuplicatesAtTheConfiguredRate) {
  ImpairmentModel model(spec("duplicate=2%,seed=10"));
  const auto out = offerSteadily(model);
  const std::uint64_t duplicated = model.counters().duplicated;
  EXPECT_TRUE(binomialInterval999(kPackets, 0.02).contains(duplicated)) << duplicated;
  EXPECT_EQ(out.size(), kPackets + duplicated);
  std::uint64_t copies = 0;
  for (const Delivery& d : out) copies += d.duplicate ? 1 : 0;
  EXPECT_EQ(copies, duplicated);
  expectBalanced(model.counters());
}

TEST(ImpairmentModel, CorruptsOneByteInsideThePacketAtTheConfiguredRate) {
  ImpairmentModel model(spec("corrupt=1%,seed=12"));
  const auto out = offerSteadily(model);
  std::uint64_t corrupt = 0;
  for (const Delivery& d : out) {
    if (!d.corrupt) continue;
    ++corrupt;
    EXPECT_LT(d.corruptOffset, 100u);
    EXPECT_NE(d.corruptMask, 0u);
  }
  EXPECT_EQ(corrupt, model.counters().corrupted);
  EXPECT_TRUE(binomialInterval999(kPackets, 0.01).contains(corrupt)) << corrupt;
}

TEST(ImpairmentModel, NeverCorruptsAnEmptyPacket) {
  ImpairmentModel model(spec("corrupt=100%"));
  EXPECT_FALSE(model.onPacket(0, 0).at(0).corrupt);
  EXPECT_TRUE(model.onPacket(0, 1).at(0).corrupt);
}

TEST(ImpairmentModel, SpacesPacketsBySizeOverRate) {
  // 1250 bytes at 10 Mbit/s take 1 ms on the link; 125 bytes take 100 us.
  ImpairmentModel model(spec("rate=10mbit"));
  for (int i = 1; i <= 10; ++i) EXPECT_EQ(model.onPacket(0, 1250).at(0).deliverAtNs, i * kMs);
  EXPECT_EQ(model.onPacket(0, 125).at(0).deliverAtNs, 10 * kMs + 100'000);
  // An idle link sends at once.
  EXPECT_EQ(model.onPacket(50 * kMs, 1250).at(0).deliverAtNs, 51 * kMs);
}

TEST(ImpairmentModel, AddsDelayAfterTheRateLimiter) {
  ImpairmentModel model(spec("rate=10mbit,delay=20ms"));
  EXPECT_EQ(model.onPacket(0, 1250).at(0).deliverAtNs, 21 * kMs);
  EXPECT_EQ(model.onPacket(0, 1250).at(0).deliverAtNs, 22 * kMs);
}

TEST(ImpairmentModel, DropsWhatOverflowsAPacketQueue) {
  ImpairmentModel model(spec("rate=10mbit,queue=5"));
  std::vector<Delivery> out;
  for (int i = 0; i < 10; ++i) model.onPacket(0, 1250, out);
  EXPECT_EQ(out.size(), 5u);
  EXPECT_EQ(model.counters().droppedByQueue, 5u);
  // After 2 ms, two have left the queue: two more fit, the third does not.
  for (int i = 0; i < 3; ++i) model.onPacket(2 * kMs, 1250, out);
  EXPECT_EQ(out.size(), 7u);
  EXPECT_EQ(out.back().deliverAtNs, 7 * kMs);
  EXPECT_EQ(model.counters().droppedByQueue, 6u);
  expectBalanced(model.counters());
}

TEST(ImpairmentModel, DropsWhatOverflowsAByteQueue) {
  ImpairmentModel model(spec("rate=10mbit,queue=3000b"));
  std::vector<Delivery> out;
  for (int i = 0; i < 3; ++i) model.onPacket(0, 1250, out);
  EXPECT_EQ(out.size(), 2u);
  model.onPacket(0, 500, out);  // 2500 + 500 still fits
  EXPECT_EQ(out.size(), 3u);
  EXPECT_EQ(model.counters().droppedByQueue, 1u);
}

TEST(ImpairmentModel, TakesAnEarlierTimeAsTheLatestSeen) {
  ImpairmentModel model(spec("delay=1ms"));
  EXPECT_EQ(model.onPacket(10 * kMs, 1).at(0).deliverAtNs, 11 * kMs);
  EXPECT_EQ(model.onPacket(5 * kMs, 1).at(0).deliverAtNs, 11 * kMs);
}

TEST(ImpairmentModel, JitterWithNoReorderKeepsTheOrderAndDelaysNoLessThanItsDraw) {
  // The same seed draws the same delays; noreorder only holds a copy until
  // the one before it has left, so its time is the running maximum.
  ImpairmentModel plain(spec("delay=20ms,jitter=5ms,seed=8"));
  ImpairmentModel ordered(spec("delay=20ms,jitter=5ms/noreorder,seed=8"));
  const auto drawn = offerSteadily(plain, 10'000);
  const auto kept = offerSteadily(ordered, 10'000);
  ASSERT_EQ(kept.size(), drawn.size());
  std::uint64_t overtakenWithout = 0;
  std::int64_t latest = INT64_MIN;
  for (std::size_t i = 0; i < kept.size(); ++i) {
    latest = std::max(latest, drawn[i].deliverAtNs);
    EXPECT_EQ(kept[i].deliverAtNs, latest) << i;
    if (i > 0 && drawn[i].deliverAtNs < drawn[i - 1].deliverAtNs) ++overtakenWithout;
  }
  EXPECT_GT(overtakenWithout, 1000u);  // 1 ms apart with 5 ms of jitter: plenty
  EXPECT_EQ(ordered.counters().heldBack, 0u);
}

TEST(ImpairmentModel, NeverDeliversSoonerThanItsMinimumDelay) {
  // The relay leaves a socket unread for as long as nothing arriving on it
  // can fall due: this bound must hold for every copy, whatever the draws.
  EXPECT_EQ(ImpairmentModel(spec("")).minDelayNs(), 0);
  EXPECT_EQ(ImpairmentModel(spec("delay=5ms,rate=1mbit,reorder=50%")).minDelayNs(), 5 * kMs);
  EXPECT_EQ(ImpairmentModel(spec("delay=20ms,jitter=5ms")).minDelayNs(), 0);
  for (const char* text : {"delay=20ms,jitter=1ms,seed=3", "delay=10ms,jitter=1ms/noreorder,seed=4",
                           "delay=3ms,jitter=100us,duplicate=20%,rate=10mbit,seed=5"}) {
    ImpairmentModel model(spec(text));
    ASSERT_GT(model.minDelayNs(), 0) << text;
    std::int64_t closestNs = INT64_MAX;
    for (std::uint64_t i = 0; i < 20'000; ++i) {
      const std::int64_t nowNs = static_cast<std::int64_t>(i) * 50'000;
      for (const Delivery& d : model.onPacket(nowNs, 100)) {
        closestNs = std::min(closestNs, d.deliverAtNs - nowNs);
      }
    }
    EXPECT_GE(closestNs, model.minDelayNs()) << text;
  }
}
