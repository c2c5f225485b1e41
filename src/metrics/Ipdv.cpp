#include "metrics/Ipdv.h"

namespace pigeon::metrics {

Ipdv::Ipdv() : ring_(kWindow) {
  for (std::uint64_t j = 0; j < kWindow; ++j) ring_[j].sequence = j + 1;
}

const Ipdv::Slot* Ipdv::find(std::uint64_t sequence) const {
  const Slot& slot = ring_[sequence % kWindow];
  return slot.sequence == sequence ? &slot : nullptr;
}

void Ipdv::record(std::uint64_t sequence, std::int64_t delayNs) {
  // The pair (i - 1, i) is measured when the second of its two arrives: i
  // after i - 1 gives IPDV(i), i - 1 after i gives IPDV(i) just the same.
  if (sequence > 0) {
    if (const Slot* before = find(sequence - 1)) add(delayNs - before->delayNs);
  }
  if (sequence + 1 != 0) {
    if (const Slot* after = find(sequence + 1)) add(after->delayNs - delayNs);
  }
  ring_[sequence % kWindow] = {sequence, delayNs};
}

void Ipdv::add(std::int64_t ipdvNs) {
  sumNs_ += static_cast<double>(ipdvNs);
  absNs_.record(ipdvNs < 0 ? -ipdvNs : ipdvNs);
}

}  // namespace pigeon::metrics
