#include "link/WakePlanner.h"

#include <algorithm>

namespace pigeon::link {

WakePlanner::Wake WakePlanner::plan(std::int64_t nowNs, std::optional<std::int64_t> nextDueNs,
                                    std::array<std::int64_t, 2> lastDataNs) const {
  Wake wake;
  wake.atNs = std::clamp(nextDueNs.value_or(nowNs + settings_.maxSleepNs), nowNs,
                         nowNs + settings_.maxSleepNs);
  // Leaving a socket unread until `lazyAtNs` is safe when whatever arrives
  // on it from now on is due at that wake or later.
  const std::int64_t lazyAtNs = std::min(wake.atNs, nowNs + settings_.maxUnreadNs);
  bool anyLazy = false;
  for (std::size_t i = 0; i < 2; ++i) {
    // A short gap in the traffic (a read that found nothing) is no reason
    // to watch again: that would cost a wake per arrival.
    const bool flowing = lastDataNs[i] != kNever && nowNs - lastDataNs[i] < settings_.maxUnreadNs;
    wake.watch[i] = !(flowing && nowNs + minDelayNs_[i] >= lazyAtNs);
    anyLazy |= !wake.watch[i];
  }
  if (anyLazy) wake.atNs = lazyAtNs;
  return wake;
}

}  // namespace pigeon::link
