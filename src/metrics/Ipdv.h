#pragma once

#include "metrics/LatencyHistogram.h"

#include <cstdint>
#include <vector>

namespace pigeon::metrics {

// RFC 5481 §4.2 IP packet delay variation between consecutive packets.
//
// For packets of sequence numbers i - 1 and i, both received,
//     IPDV(i) = D(i) - D(i - 1)
// where D is a packet's one-way delay (arrivalNs - sendTimeNs), whatever
// order the two arrived in. A constant clock offset between sender and
// receiver cancels, so the clocks need not be shared. If either packet is
// lost, IPDV(i) is undefined and skipped.
//
// Memory is bounded: the delays of the last kWindow sequence numbers are
// kept in a ring indexed by sequence number, so a pair is measured when its
// second packet arrives while the first is still there, i.e. unless kWindow
// or more higher numbers arrived in between (reordering by 16,384 places).
// Each pair is measured once; pairs() says how many were.
//
// Summary: mean of |IPDV| (the figure reported as `ipdv_us`), max |IPDV|,
// mean signed IPDV (near 0 unless delay drifts), and a histogram of |IPDV|
// for percentiles (`ipdv_p99_us`). Not thread safe.
class Ipdv {
 public:
  static constexpr std::uint64_t kWindow = 1u << 14;

  Ipdv();

  // Feeds one unique arrival (never a duplicate), in arrival order.
  void record(std::uint64_t sequence, std::int64_t delayNs);

  std::uint64_t pairs() const { return absNs_.count(); }
  // The following are 0 when pairs() is 0.
  double meanAbsNs() const { return absNs_.meanNs(); }
  std::int64_t maxAbsNs() const { return absNs_.maxNs(); }
  double meanNs() const { return pairs() == 0 ? 0.0 : sumNs_ / static_cast<double>(pairs()); }
  const LatencyHistogram& absHistogram() const { return absNs_; }

 private:
  // Slot j starts holding sequence j + 1, which belongs in another slot, so
  // an empty slot never matches and every 64-bit number can be kept.
  struct Slot {
    std::uint64_t sequence = 0;
    std::int64_t delayNs = 0;
  };

  // The delay of `sequence` if it is still in the ring.
  const Slot* find(std::uint64_t sequence) const;
  void add(std::int64_t ipdvNs);

  std::vector<Slot> ring_;  // kWindow slots, on the heap: 256 KiB a stream
  double sumNs_ = 0.0;
  LatencyHistogram absNs_;
};

}  // namespace pigeon::metrics
