#pragma once

#include "link/LinkSpec.h"
#include "link/SeededRandom.h"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

namespace pigeon::link {

// One copy of a packet that the link lets through, and when.
struct Delivery {
  std::int64_t deliverAtNs = 0;  // on the caller's clock
  bool duplicate = false;        // the extra copy of a duplicated packet
  bool heldBack = false;         // held back reorderHoldNs for reordering
  bool corrupt = false;          // if so, XOR byte corruptOffset with corruptMask
  std::size_t corruptOffset = 0;
  std::uint8_t corruptMask = 0;  // never 0 when corrupt

  bool operator==(const Delivery&) const = default;
};

// What the model did so far. offered + duplicated == passed + dropped().
struct ImpairmentCounters {
  std::uint64_t offered = 0;         // packets given to onPacket
  std::uint64_t passed = 0;          // copies let through, duplicates included
  std::uint64_t droppedByLoss = 0;   // independent loss
  std::uint64_t droppedByBurst = 0;  // Gilbert-Elliott loss
  std::uint64_t droppedByQueue = 0;  // copies that found the rate limiter's queue full
  std::uint64_t duplicated = 0;      // extra copies made
  std::uint64_t corrupted = 0;       // copies with one byte flipped
  std::uint64_t heldBack = 0;        // copies held back by `reorder`

  std::uint64_t dropped() const { return droppedByLoss + droppedByBurst + droppedByQueue; }
  bool operator==(const ImpairmentCounters&) const = default;
};

// The impairment of ONE direction of a link, as a pure function of its
// spec, its seed and the packets offered (time and size): no sockets, no
// clock. The same spec, seed, stream and inputs give the same outputs on
// every run and machine. Not thread safe.
//
// Each packet goes through, in this order:
//  1. burst loss: decided in the current Gilbert-Elliott state, which then
//     steps (good -> bad with P, bad -> good with R); every packet steps it;
//  2. independent loss;
//  3. duplication: a second copy follows the first;
//  4. per copy: the rate limiter (the copy waits until the link has sent
//     what is ahead of it, then takes size*8/rate; a copy that finds the
//     queue full is dropped), corruption (one byte, chosen uniformly, XORed
//     with a non-zero mask), delay + jitter (delayNs + jitterNs * N(0,1),
//     never below 0), and reordering (held back reorderHoldNs more, so the
//     packets sent meanwhile overtake it).
// The random draws depend only on the order and sizes of the packets, not
// on their times. Jitter alone also reorders packets sent closer together
// than the jitter.
class ImpairmentModel {
 public:
  // `stream` separates the random sequences of models that share a seed
  // (a relay uses 0 for up, 1 for down).
  explicit ImpairmentModel(const DirectionSpec& spec, std::uint64_t stream = 0);

  // Decides the fate of a packet of `sizeBytes` offered at `nowNs` and
  // appends its deliveries (none, one or two) to `out`. `nowNs` is meant not
  // to decrease; an earlier time is taken as the latest one seen.
  void onPacket(std::int64_t nowNs, std::size_t sizeBytes, std::vector<Delivery>& out);
  std::vector<Delivery> onPacket(std::int64_t nowNs, std::size_t sizeBytes);

  const ImpairmentCounters& counters() const { return counters_; }
  const DirectionSpec& spec() const { return spec_; }
  // No copy of a packet offered at t is due before t + minDelayNs(): the
  // delay less the most the jitter can take off (N(0,1) stays within +-6),
  // never below 0; rate, reorder and noreorder only ever add.
  std::int64_t minDelayNs() const;

 private:
  struct OnLink {
    std::int64_t doneNs;  // when the rate limiter has sent it
    std::size_t sizeBytes;
  };

  bool lostToBurst();
  // When the rate limiter has sent a copy offered at nowNs; none: queue full.
  std::optional<std::int64_t> transmit(std::int64_t nowNs, std::size_t sizeBytes);
  // The copy's corruption and its delay after the rate limiter.
  Delivery shape(std::size_t sizeBytes, bool duplicate);

  DirectionSpec spec_;
  SeededRandom random_;
  ImpairmentCounters counters_;
  bool bad_ = false;  // Gilbert-Elliott state; starts good
  std::int64_t lastNowNs_ = INT64_MIN;
  std::int64_t linkFreeAtNs_ = INT64_MIN;
  std::int64_t lastDeliverAtNs_ = INT64_MIN;  // jitter=.../noreorder: none leaves before it
  std::deque<OnLink> onLink_;                 // copies the rate limiter has not finished
  std::size_t onLinkBytes_ = 0;
};

}  // namespace pigeon::link
