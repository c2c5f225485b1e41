#include "link/LinkSpec.h"

#include <gtest/gtest.h>

#include <string>

using pigeon::link::DirectionSpec;
using pigeon::link::GilbertElliott;
using pigeon::link::LinkSpec;
using pigeon::link::LinkSpecError;

namespace {

// The message a SPEC is refused with, or "" if it is accepted.
std::string refusal(const std::string& text) {
  try {
    LinkSpec::parse(text);
  } catch (const LinkSpecError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(LinkSpec, ParsesEveryKeyWithItsUnits) {
  const LinkSpec spec = LinkSpec::parse(
      "loss=5%,burst=1%/30%/90%/0.5%,delay=20ms,jitter=500us,reorder=2%/3ms,duplicate=0.01,"
      "corrupt=0.1%,rate=10mbit,queue=64kb,seed=7");
  const DirectionSpec& up = spec.up;
  EXPECT_DOUBLE_EQ(up.lossProbability, 0.05);
  ASSERT_TRUE(up.burst.has_value());
  EXPECT_DOUBLE_EQ(up.burst->enterBadProbability, 0.01);
  EXPECT_DOUBLE_EQ(up.burst->leaveBadProbability, 0.30);
  EXPECT_DOUBLE_EQ(up.burst->lossInBadProbability, 0.90);
  EXPECT_DOUBLE_EQ(up.burst->lossInGoodProbability, 0.005);
  EXPECT_EQ(up.delayNs, 20'000'000);
  EXPECT_EQ(up.jitterNs, 500'000);
  EXPECT_DOUBLE_EQ(up.reorderProbability, 0.02);
  EXPECT_EQ(up.reorderHoldNs, 3'000'000);
  EXPECT_DOUBLE_EQ(up.duplicateProbability, 0.01);
  EXPECT_DOUBLE_EQ(up.corruptProbability, 0.001);
  EXPECT_EQ(up.rateBitsPerSecond, 10'000'000u);
  EXPECT_EQ(up.queueBytes, 64'000u);
  EXPECT_EQ(up.queuePackets, 0u);
  EXPECT_EQ(up.seed, 7u);
  EXPECT_EQ(spec.down, spec.up);
}

TEST(LinkSpec, ReadsEachUnitOfTimeRateAndQueue) {
  EXPECT_EQ(LinkSpec::parse("delay=1s").up.delayNs, 1'000'000'000);
  EXPECT_EQ(LinkSpec::parse("delay=1.5ms").up.delayNs, 1'500'000);
  EXPECT_EQ(LinkSpec::parse("delay=250ns").up.delayNs, 250);
  EXPECT_EQ(LinkSpec::parse("delay=0").up.delayNs, 0);
  EXPECT_EQ(LinkSpec::parse("rate=500kbit").up.rateBitsPerSecond, 500'000u);
  EXPECT_EQ(LinkSpec::parse("rate=1gbit").up.rateBitsPerSecond, 1'000'000'000u);
  EXPECT_EQ(LinkSpec::parse("rate=1.5Mbit").up.rateBitsPerSecond, 1'500'000u);
  EXPECT_EQ(LinkSpec::parse("rate=1mbit,queue=20").up.queuePackets, 20u);
  EXPECT_EQ(LinkSpec::parse("rate=1mbit,queue=20p").up.queuePackets, 20u);
  EXPECT_EQ(LinkSpec::parse("rate=1mbit,queue=1500b").up.queueBytes, 1500u);
  EXPECT_EQ(LinkSpec::parse("rate=1mbit,queue=1mib").up.queueBytes, 1024u * 1024u);
}

TEST(LinkSpec, TreatsAnEmptySpecAsACleanLink) {
  const LinkSpec spec = LinkSpec::parse("");
  EXPECT_TRUE(spec.up.isClean());
  EXPECT_TRUE(spec.down.isClean());
  EXPECT_EQ(spec, LinkSpec{});
  EXPECT_EQ(describe(spec.up), "clean");
}

TEST(LinkSpec, AppliesAPrefixedKeyToOneDirectionOnly) {
  const LinkSpec spec = LinkSpec::parse("up.loss=10%, down.delay=5ms");
  EXPECT_DOUBLE_EQ(spec.up.lossProbability, 0.10);
  EXPECT_EQ(spec.up.delayNs, 0);
  EXPECT_DOUBLE_EQ(spec.down.lossProbability, 0.0);
  EXPECT_EQ(spec.down.delayNs, 5'000'000);
}

TEST(LinkSpec, LetsAPrefixedKeyWinOverABareOneWhateverTheOrder) {
  for (const char* text : {"up.loss=1%,loss=5%", "loss=5%,up.loss=1%"}) {
    const LinkSpec spec = LinkSpec::parse(text);
    EXPECT_DOUBLE_EQ(spec.up.lossProbability, 0.01) << text;
    EXPECT_DOUBLE_EQ(spec.down.lossProbability, 0.05) << text;
  }
}

TEST(LinkSpec, GivesARateAQueueOfDefaultSizeUnlessOneIsGiven) {
  const LinkSpec spec = LinkSpec::parse("rate=1mbit,down.queue=10");
  EXPECT_EQ(spec.up.queuePackets, DirectionSpec::kDefaultQueuePackets);
  EXPECT_EQ(spec.down.queuePackets, 10u);
}

TEST(LinkSpec, FillsInBurstDefaultsForTheLossInEachState) {
  const GilbertElliott burst = *LinkSpec::parse("burst=1%/25%").up.burst;
  EXPECT_DOUBLE_EQ(burst.lossInBadProbability, 1.0);
  EXPECT_DOUBLE_EQ(burst.lossInGoodProbability, 0.0);
  EXPECT_NEAR(burst.stationaryLossProbability(), 0.01 / 0.26, 1e-12);
}

TEST(LinkSpec, HoldsReorderedPacketsTenMillisecondsUnlessTold) {
  EXPECT_EQ(LinkSpec::parse("reorder=5%").up.reorderHoldNs, 10'000'000);
}

TEST(LinkSpec, DescribesADirectionAsASpecThatParsesBackToIt) {
  const LinkSpec spec = LinkSpec::parse(
      "loss=5%,burst=1%/30%,delay=20ms,jitter=5ms,reorder=2%/3ms,duplicate=1%,corrupt=0.5%,"
      "rate=10mbit,queue=50,seed=7");
  EXPECT_EQ(describe(spec.up),
            "loss=5%,burst=1%/30%/100%/0%,delay=20ms,jitter=5ms,reorder=2%/3ms,duplicate=1%,"
            "corrupt=0.5%,rate=10mbit,queue=50,seed=7");
  EXPECT_EQ(LinkSpec::parse(describe(spec.up)), spec);
}

TEST(LinkSpec, RefusesAnUnknownKeyNamingIt) {
  EXPECT_TRUE(refusal("los=5%").starts_with("link spec: unknown key 'los'")) << refusal("los=5%");
  EXPECT_TRUE(refusal("left.loss=5%").starts_with("link spec: unknown key 'left.loss'"));
}

TEST(LinkSpec, RefusesAProbabilityOutsideZeroToOneHundredPercent) {
  EXPECT_EQ(refusal("loss=150%"),
            "link spec: loss must be a percentage from 0% to 100%, not '150%'");
  EXPECT_EQ(refusal("up.duplicate=1.5"),
            "link spec: up.duplicate must be a percentage from 0% to 100%, not '1.5'");
  EXPECT_NE(refusal("corrupt=-1%"), "");
  EXPECT_NE(refusal("loss=5"), "");
  EXPECT_NE(refusal("loss=%"), "");
  EXPECT_NE(refusal("loss=nan"), "");
  EXPECT_NE(refusal("loss=1e-2"), "");
  EXPECT_NE(refusal("loss="), "");
}

TEST(LinkSpec, RefusesADurationWithoutAUnitOrBeyondAMinute) {
  EXPECT_EQ(
      refusal("delay=20"),
      "link spec: delay must be a duration from 0 to 60s such as 20ms, 500us or 1s, not '20'");
  EXPECT_NE(refusal("jitter=5 parsecs"), "");
  EXPECT_NE(refusal("delay=61s"), "");
  EXPECT_NE(refusal("delay=-5ms"), "");
  EXPECT_NE(refusal("reorder=5%/0ms"), "");
}

TEST(LinkSpec, RefusesARateWithoutAUnitOrOutOfRange) {
  EXPECT_TRUE(refusal("rate=10").starts_with("link spec: rate must be a rate"))
      << refusal("rate=10");
  EXPECT_NE(refusal("rate=10mbps"), "");
  EXPECT_NE(refusal("rate=999bit"), "");
  EXPECT_NE(refusal("rate=101gbit"), "");
}

TEST(LinkSpec, RefusesABadQueueOrAQueueWithoutARate) {
  EXPECT_NE(refusal("rate=1mbit,queue=0"), "");
  EXPECT_NE(refusal("rate=1mbit,queue=1.5"), "");
  EXPECT_NE(refusal("rate=1mbit,queue=10 packets"), "");
  EXPECT_NE(refusal("rate=1mbit,queue=2000000"), "");
  EXPECT_EQ(refusal("up.rate=1mbit,queue=10"),
            "link spec: queue belongs to the rate limiter, but the down direction has no rate "
            "(add rate=... or down.rate=...)");
}

TEST(LinkSpec, RefusesABadBurst) {
  EXPECT_TRUE(refusal("burst=1%").starts_with("link spec: burst must be P/R[/BAD[/GOOD]]"));
  EXPECT_NE(refusal("burst=1%/2%/3%/4%/5%"), "");
  EXPECT_NE(refusal("burst=1%/200%"), "");
  EXPECT_TRUE(refusal("burst=1%/0%").starts_with("link spec: burst R must be above 0%"));
}

TEST(LinkSpec, RefusesABadSeed) {
  EXPECT_NE(refusal("seed=-1"), "");
  EXPECT_NE(refusal("seed=18446744073709551616"), "");
  EXPECT_NE(refusal("seed=7x"), "");
  EXPECT_EQ(LinkSpec::parse("seed=18446744073709551615").up.seed, UINT64_MAX);
}

TEST(LinkSpec, RefusesMalformedItems) {
  EXPECT_EQ(refusal("loss"), "link spec: 'loss' is not KEY=VALUE (example: loss=5%)");
  EXPECT_NE(refusal("loss=5%,,delay=1ms"), "");
  EXPECT_NE(refusal("loss=5%,"), "");
  EXPECT_EQ(refusal("loss=5%,loss=6%"), "link spec: 'loss' is given twice");
  EXPECT_NE(refusal("up.loss=5%,up.loss=6%"), "");
}

TEST(LinkSpec, AFallbackSeedFillsOnlyTheDirectionsTheSpecLeavesUnseeded) {
  // up.seed= names one direction: the other takes the fallback (bench's
  // --seed), never kDefaultSeed behind the user's back.
  const LinkSpec upOnly = LinkSpec::parse("loss=5%,up.seed=5").withFallbackSeed(7);
  EXPECT_EQ(upOnly.up.seed, 5u);
  EXPECT_EQ(upOnly.down.seed, 7u);
  const LinkSpec downOnly = LinkSpec::parse("loss=5%,down.seed=9").withFallbackSeed(7);
  EXPECT_EQ(downOnly.up.seed, 7u);
  EXPECT_EQ(downOnly.down.seed, 9u);
  // A bare seed= seeds both directions; a prefixed one still wins for its own.
  const LinkSpec both = LinkSpec::parse("seed=3,down.seed=4,loss=1%").withFallbackSeed(7);
  EXPECT_EQ(both.up.seed, 3u);
  EXPECT_EQ(both.down.seed, 4u);
  EXPECT_TRUE(LinkSpec::parse("seed=3").fullySeeded());
  EXPECT_FALSE(LinkSpec::parse("up.seed=3").fullySeeded());
  const LinkSpec none = LinkSpec::parse("loss=1%").withFallbackSeed(11);
  EXPECT_EQ(none.up.seed, 11u);
  EXPECT_EQ(none.down.seed, 11u);
}

TEST(LinkSpec, ReadsJitterWithTheNoReorderOptionAndDescribesIt) {
  const LinkSpec spec = LinkSpec::parse("delay=20ms,jitter=5ms/noreorder,down.jitter=1ms");
  EXPECT_EQ(spec.up.jitterNs, 5'000'000);
  EXPECT_TRUE(spec.up.keepOrder);
  EXPECT_FALSE(spec.down.keepOrder);  // down's own jitter has no option
  EXPECT_EQ(LinkSpec::parse(describe(spec.up)).up, spec.up);
  EXPECT_NE(describe(spec.up).find("jitter=5ms/noreorder"), std::string::npos) << describe(spec.up);
  EXPECT_EQ(refusal("jitter=5ms/keep"),
            "link spec: jitter: after the duration only /noreorder may follow, not '5ms/keep'");
  EXPECT_EQ(refusal("jitter=5ms/noreorder,up.reorder=1%"),
            "link spec: jitter=.../noreorder keeps the order, reorder=... breaks it: not both in "
            "the up direction");
}
