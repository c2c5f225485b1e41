#include "link/WakePlanner.h"

#include "link/DelayQueue.h"
#include "link/ImpairmentModel.h"
#include "link/LinkSpec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <iostream>
#include <optional>
#include <vector>

using pigeon::link::DelayQueue;
using pigeon::link::Delivery;
using pigeon::link::ImpairmentModel;
using pigeon::link::LinkSpec;
using pigeon::link::WakePlanner;

namespace {

constexpr std::int64_t kUs = 1'000;
constexpr std::int64_t kMs = 1'000'000;
const WakePlanner::Settings kSettings{1 * kMs, 20 * kMs};

}  // namespace

TEST(WakePlanner, SleepsUntilTheNextCopyIsDueWatchingQuietSockets) {
  const WakePlanner planner(kSettings, {5 * kMs, 5 * kMs});
  const auto wake = planner.plan(0, 300 * kUs, {WakePlanner::kNever, WakePlanner::kNever});
  EXPECT_EQ(wake.atNs, 300 * kUs);
  EXPECT_TRUE(wake.watch[0]);
  EXPECT_TRUE(wake.watch[1]);
  // Nothing held: the longest sleep, so that a stop request is seen.
  EXPECT_EQ(planner.plan(7, std::nullopt, {WakePlanner::kNever, WakePlanner::kNever}).atNs,
            7 + 20 * kMs);
  // A copy already due: at once.
  EXPECT_EQ(planner.plan(1 * kMs, 1, {WakePlanner::kNever, WakePlanner::kNever}).atNs, 1 * kMs);
}

TEST(WakePlanner, LeavesAFlowingSocketUnreadWhileNothingArrivingOnItCanFallDue) {
  const WakePlanner planner(kSettings, {5 * kMs, 0});
  const auto wake = planner.plan(0, 300 * kUs, {0, 0});
  EXPECT_EQ(wake.atNs, 300 * kUs);
  EXPECT_FALSE(wake.watch[0]) << "up: anything arriving now is due in 5 ms, after the wake";
  EXPECT_TRUE(wake.watch[1]) << "down has no delay: an arrival is due at once";
}

TEST(WakePlanner, WatchesAFlowingSocketWhoseDelayIsShorterThanTheSleep) {
  const WakePlanner planner(kSettings, {200 * kUs, 200 * kUs});
  const auto wake = planner.plan(0, 700 * kUs, {0, 0});
  EXPECT_EQ(wake.atNs, 700 * kUs);
  EXPECT_TRUE(wake.watch[0]);
  EXPECT_TRUE(wake.watch[1]);
}

TEST(WakePlanner, ReadsAnUnwatchedSocketAtLeastEveryMaxUnread) {
  const WakePlanner planner(kSettings, {1'000 * kMs, 1'000 * kMs});
  const auto held = planner.plan(0, 900 * kMs, {0, WakePlanner::kNever});
  EXPECT_EQ(held.atNs, 1 * kMs);
  EXPECT_FALSE(held.watch[0]);
  EXPECT_TRUE(held.watch[1]);
  const auto empty = planner.plan(0, std::nullopt, {0, 0});
  EXPECT_EQ(empty.atNs, 1 * kMs);
  EXPECT_FALSE(empty.watch[0]);
  EXPECT_FALSE(empty.watch[1]);
}

TEST(WakePlanner, KeepsASocketUnwatchedThroughAShortGapInItsTrafficNotAfterIt) {
  // A read that found nothing between two arrivals must not cost a wake
  // per arrival; a socket quiet for maxUnread is watched again.
  const WakePlanner planner(kSettings, {5 * kMs, 5 * kMs});
  EXPECT_FALSE(planner.plan(900 * kUs, 1 * kMs, {0, 0}).watch[0]);
  EXPECT_TRUE(planner.plan(1 * kMs, 2 * kMs, {0, 0}).watch[0]);
}

TEST(WakePlanner, KeepsEveryCopyOnTimeWakingAboutOncePerCopyNotTwice) {
  // A relay's loop on a fake clock: 10,000 datagrams/s (100 us apart, with
  // a little irregularity) up through delay=5ms,jitter=50us, the thread
  // waking exactly when planned. Before, it woke once per arrival and once
  // per copy: two wakes per copy. Each copy must leave exactly when due,
  // and the wakes must be about one per copy.
  const auto spec = LinkSpec::parse("delay=5ms,jitter=50us,seed=11");
  ImpairmentModel model(spec.up);
  const WakePlanner planner(kSettings, {model.minDelayNs(), 0});
  DelayQueue queue(100'000, 64 << 20);
  std::vector<std::int64_t> arrivals;
  for (std::int64_t i = 0; i < 5'000; ++i) arrivals.push_back(i * 100 * kUs + (i * 37 % 11) * kUs);
  std::vector<Delivery> deliveries;
  const std::uint8_t byte = 0;

  std::size_t next = 0;   // the next arrival not yet read
  std::size_t wakes = 0;  // wakes after the first
  std::size_t released = 0;
  std::array<std::int64_t, 2> lastDataNs{WakePlanner::kNever, WakePlanner::kNever};
  std::int64_t nowNs = 0;
  while (next < arrivals.size() || !queue.empty()) {
    ASSERT_LT(wakes, 3 * arrivals.size()) << "the simulation does not end";
    // Read what has arrived (each with its arrival stamp) ...
    std::size_t read = 0;
    for (; next < arrivals.size() && arrivals[next] <= nowNs; ++next, ++read) {
      deliveries.clear();
      model.onPacket(arrivals[next], 1, deliveries);
      for (const Delivery& d : deliveries) queue.push(d.deliverAtNs, true, false, {&byte, 1});
    }
    if (read > 0) lastDataNs[0] = nowNs;
    // ... send what is due ...
    queue.releaseDue(nowNs, [&](const DelayQueue::Copy& copy) {
      EXPECT_EQ(nowNs, copy.dueNs) << "late";
      ++released;
    });
    // ... and sleep until the planned wake, or an arrival on a watched socket.
    const auto wake = planner.plan(nowNs, queue.nextDueNs(), lastDataNs);
    std::int64_t atNs = wake.atNs;
    if (wake.watch[0] && next < arrivals.size()) atNs = std::min(atNs, arrivals[next]);
    ASSERT_GE(atNs, nowNs);
    nowNs = std::max(atNs, nowNs + 1);  // a wake takes time
    ++wakes;
  }
  EXPECT_EQ(released, arrivals.size());
  EXPECT_LT(wakes, arrivals.size() * 11 / 10) << "more than one wake per copy";
  std::cout << wakes << " wakes for " << released << " copies\n";
}
