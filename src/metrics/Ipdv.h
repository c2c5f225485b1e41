#pragma once

#include "metrics/LatencyHistogram.h"

#include <cstdint>

namespace pigeon::metrics {

// RFC 5481 §4.2 IP packet delay variation between consecutive packets.
//
// For packets of sequence numbers i - 1 and i, both received,
//     IPDV(i) = D(i) - D(i - 1)
// where D is a packet's one-way delay (arrivalNs - sendTimeNs). A constant
// clock offset between sender and receiver cancels, so the clocks need not
// be shared. If either packet is lost, IPDV(i) is undefined and skipped.
//
// In O(1) memory only the previous arrival's delay is kept, so a pair is
// measured when its two packets arrive one right after the other among the
// unique arrivals, in either order (i after i - 1, or i - 1 after i). A pair
// split by other arrivals (reordering by more than one place) is skipped;
// pairs() says how many pairs were measured.
//
// Summary: mean of |IPDV| (the figure reported as `ipdv_us`), max |IPDV|,
// mean signed IPDV (near 0 unless delay drifts), and a histogram of |IPDV|
// for percentiles (`ipdv_p99_us`). Not thread safe.
class Ipdv {
 public:
  // Feeds one unique arrival, in arrival order.
  void record(std::uint64_t sequence, std::int64_t delayNs) {
    if (any_) {
      if (sequence > lastSequence_ && sequence - lastSequence_ == 1) {
        add(delayNs - lastDelayNs_);
      } else if (sequence < lastSequence_ && lastSequence_ - sequence == 1) {
        add(lastDelayNs_ - delayNs);
      }
    }
    any_ = true;
    lastSequence_ = sequence;
    lastDelayNs_ = delayNs;
  }

  std::uint64_t pairs() const { return absNs_.count(); }
  // The following are 0 when pairs() is 0.
  double meanAbsNs() const { return absNs_.meanNs(); }
  std::int64_t maxAbsNs() const { return absNs_.maxNs(); }
  double meanNs() const { return pairs() == 0 ? 0.0 : sumNs_ / static_cast<double>(pairs()); }
  const LatencyHistogram& absHistogram() const { return absNs_; }

 private:
  void add(std::int64_t ipdvNs) {
    sumNs_ += static_cast<double>(ipdvNs);
    absNs_.record(ipdvNs < 0 ? -ipdvNs : ipdvNs);
  }

  bool any_ = false;
  std::uint64_t lastSequence_ = 0;
  std::int64_t lastDelayNs_ = 0;
  double sumNs_ = 0.0;
  LatencyHistogram absNs_;
};

}  // namespace pigeon::metrics
