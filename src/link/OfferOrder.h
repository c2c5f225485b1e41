#pragma once

#include <cstdint>

namespace pigeon::link {

// Whether copies leave a link in the order they were offered to it, as a
// receiver counts reordering (RFC 4737): a copy is reordered when one
// offered after it has already left. Fed each leaving copy's offer number
// (increasing as copies are offered). So jitter's swaps count, and a held-
// back copy counts only when something overtook it.
class OfferOrder {
 public:
  // Records that the copy offered as `order` left now; false when it is late.
  bool left(std::uint64_t order) {
    if (any_ && order < highest_) return false;
    any_ = true;
    highest_ = order;
    return true;
  }

 private:
  bool any_ = false;
  std::uint64_t highest_ = 0;
};

}  // namespace pigeon::link
