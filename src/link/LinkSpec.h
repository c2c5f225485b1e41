#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace pigeon::link {

// A SPEC that cannot be parsed; what() names the bad key or value, e.g.
// "link spec: unknown key 'los' (...)".
class LinkSpecError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// Gilbert-Elliott burst loss: a two-state Markov chain (good, bad) stepped
// once per packet. Written `burst=P/R[/BAD[/GOOD]]` in a SPEC (netem's
// `loss gemodel` order). In the classic notation h = 1 - lossInBad and
// k = 1 - lossInGood.
struct GilbertElliott {
  double enterBadProbability = 0.0;  // p: good -> bad, per packet
  double leaveBadProbability = 1.0;  // r: bad -> good, per packet
  double lossInBadProbability = 1.0;
  double lossInGoodProbability = 0.0;

  // The long-run loss rate: pi_bad * lossInBad + pi_good * lossInGood,
  // with pi_bad = p / (p + r).
  double stationaryLossProbability() const;

  bool operator==(const GilbertElliott&) const = default;
};

// What the link does to packets in one direction. A default-constructed
// value is a clean link. Plain value.
struct DirectionSpec {
  static constexpr std::int64_t kDefaultReorderHoldNs = 10'000'000;
  static constexpr std::size_t kDefaultQueuePackets = 1000;
  static constexpr std::uint64_t kDefaultSeed = 1;

  double lossProbability = 0.0;         // independent (Bernoulli) loss
  std::optional<GilbertElliott> burst;  // burst loss, on top of `loss`
  std::int64_t delayNs = 0;             // added to every packet
  std::int64_t jitterNs = 0;            // standard deviation around delayNs
  bool keepOrder = false;               // jitter=D/noreorder: no copy leaves before an earlier one
  double reorderProbability = 0.0;      // a packet is held back ...
  std::int64_t reorderHoldNs = kDefaultReorderHoldNs;  // ... this much longer
  double duplicateProbability = 0.0;                   // a second copy is sent
  double corruptProbability = 0.0;                     // one byte of a copy is flipped
  std::uint64_t rateBitsPerSecond = 0;                 // 0: no rate limit
  std::size_t queuePackets = 0;                        // rate limiter's queue, in packets
  std::size_t queueBytes = 0;                          // ... or in bytes; both 0: no limit
  std::optional<std::uint64_t> seed;                   // none: kDefaultSeed

  // True when no impairment is configured (the seed does not count).
  bool isClean() const;

  bool operator==(const DirectionSpec&) const = default;
};

// A parsed SPEC: comma-separated KEY=VALUE items, e.g.
//   loss=5%,delay=20ms,jitter=5ms,up.rate=10mbit,seed=7
// Keys: loss, burst, delay, jitter, reorder, duplicate, corrupt, rate,
// queue, seed. `up.KEY` applies to client -> target only, `down.KEY` to
// target -> client only, a bare KEY to both; a prefixed key wins over a bare
// one whatever their order. Values:
//   probability  5% or 0.05 (0%..100%)
//   duration     20ms, 500us, 1s, 250ns, or 0 (at most 60s)
//   rate         500kbit, 10mbit, 1gbit, 1.5mbit (1kbit..100gbit)
//   queue        100 or 100p (packets), 64kb, 1500b, 1mib (bytes)
//   burst        P/R[/BAD[/GOOD]], each a probability; R above 0
//   jitter       a duration, or DURATION/noreorder: copies keep their order
//   reorder      P[/HOLD]: probability, and a duration (default 10ms)
//   seed         0..2^64-1
// A queue needs a rate in its direction; a rate without a queue gets
// kDefaultQueuePackets. An empty SPEC is a clean link.
struct LinkSpec {
  DirectionSpec up;    // client -> target
  DirectionSpec down;  // target -> client

  // Throws LinkSpecError naming the bad key or value.
  static LinkSpec parse(std::string_view text);

  // The one seeding precedence, per direction: the spec's own `up.seed=` /
  // `down.seed=`, then its bare `seed=` (parse() has already applied those
  // two), then `fallback` (bench's --seed, or link's fresh random seed).
  // Returns a copy with every unseeded direction seeded with `fallback`.
  LinkSpec withFallbackSeed(std::uint64_t fallback) const;
  // True when both directions carry a seed of their own.
  bool fullySeeded() const { return up.seed.has_value() && down.seed.has_value(); }

  bool operator==(const LinkSpec&) const = default;
};

// One direction as a person reads it, e.g. "loss=5%, delay=20ms, seed=7";
// "clean" when nothing is configured.
std::string describe(const DirectionSpec& spec);

}  // namespace pigeon::link
