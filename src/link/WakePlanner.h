#pragma once

#include <array>
#include <climits>
#include <cstdint>
#include <optional>

namespace pigeon::link {

// When a relay's thread wakes next and which of its two sockets may wake it
// before then: the part of the relay's loop that decides how often it pays
// for a wake-up (a system call and a timer), with no sockets and no clock,
// so a test drives it with a fake one. Not thread safe; a plain value.
//
// Two rules keep every copy on time (never early, late only by the host's
// scheduling) while the thread wakes about once per copy, not twice:
//  - a socket that had datagrams within the last `maxUnreadNs` (traffic is
//    flowing) is not watched: it is read at the next wake, its datagrams' due times taken
//    from the kernel's arrival stamps, as long as nothing arriving on it
//    meanwhile can fall due before that wake (its direction's smallest
//    delay), and at least every `maxUnreadNs` (its receive buffer must not
//    overflow);
//  - a quiet socket is watched, so the first datagram of a burst wakes the
//    thread; and it wakes at least every `maxSleepNs` to see a stop request.
class WakePlanner {
 public:
  struct Settings {
    std::int64_t maxUnreadNs = 0;
    std::int64_t maxSleepNs = 0;
  };
  struct Wake {
    std::int64_t atNs = 0;
    std::array<bool, 2> watch{true, true};  // per socket: may wake the thread
  };

  // `minDelayNs[i]`: no copy of a datagram that arrives on socket i at t is
  // due before t + minDelayNs[i] (ImpairmentModel::minDelayNs()).
  WakePlanner(const Settings& settings, std::array<std::int64_t, 2> minDelayNs)
      : settings_(settings), minDelayNs_(minDelayNs) {}

  // A socket that never had datagrams.
  static constexpr std::int64_t kNever = INT64_MIN;

  // The next wake after one at `nowNs`, given when the earliest copy held
  // is due (none: nothing held) and, per socket, when a read of it last
  // found datagrams (kNever: never).
  Wake plan(std::int64_t nowNs, std::optional<std::int64_t> nextDueNs,
            std::array<std::int64_t, 2> lastDataNs) const;

  const Settings& settings() const { return settings_; }

 private:
  Settings settings_;
  std::array<std::int64_t, 2> minDelayNs_;
};

}  // namespace pigeon::link
