#include "link/DelayQueue.h"

#include <algorithm>

namespace pigeon::link {

std::uint8_t* DelayQueue::push(std::int64_t dueNs, bool up, bool control,
                               std::span<const std::uint8_t> bytes) {
  if (heap_.size() >= maxCopies_ || bytes_ + bytes.size() > maxBytes_) return nullptr;
  std::size_t slot = 0;
  if (free_.empty()) {
    slot = slots_.size();
    slots_.emplace_back();
  } else {
    slot = free_.back();
    free_.pop_back();
  }
  Copy& copy = slots_[slot];
  copy.dueNs = dueNs;
  copy.order = nextOrder_;
  copy.up = up;
  copy.control = control;
  retained_ -= copy.bytes.capacity();
  copy.bytes.assign(bytes.begin(), bytes.end());
  retained_ += copy.bytes.capacity();
  bytes_ += bytes.size();
  heap_.push_back({dueNs, nextOrder_++, slot});
  std::push_heap(heap_.begin(), heap_.end(), dueLater);
  return copy.bytes.data();
}

std::optional<std::int64_t> DelayQueue::nextDueNs() const {
  if (heap_.empty()) return std::nullopt;
  return heap_.front().dueNs;
}

std::size_t DelayQueue::popFront() {
  std::pop_heap(heap_.begin(), heap_.end(), dueLater);
  const std::size_t slot = heap_.back().slot;
  heap_.pop_back();
  return slot;
}

void DelayQueue::recycle(std::size_t slot) {
  std::vector<std::uint8_t>& buffer = slots_[slot].bytes;
  bytes_ -= buffer.size();
  // Buffers are kept for reuse while all of them together hold at most
  // twice the byte bound, so the pool's memory stays bounded too.
  if (retained_ > 2 * maxBytes_) {
    retained_ -= buffer.capacity();
    std::vector<std::uint8_t>().swap(buffer);
  }
  free_.push_back(slot);
}

void DelayQueue::clear() {
  while (!heap_.empty()) recycle(popFront());
}

}  // namespace pigeon::link
