#include "room/MemberQueue.h"

namespace pigeon::room {

MemberQueue::MemberQueue(std::size_t maxLines, std::size_t maxBytes)
    : maxLines_(maxLines == 0 ? 1 : maxLines), maxBytes_(maxBytes) {}

std::size_t MemberQueue::push(std::shared_ptr<const std::string> text) {
  std::size_t dropped = 0;
  const std::size_t size = text->size();
  while (!lines_.empty() && (lines_.size() >= maxLines_ || bytes_ + size > maxBytes_)) {
    pop();
    ++dropped;
  }
  dropped_ += dropped;
  lines_.push_back({nextSequence_++, std::move(text)});
  bytes_ += size;
  return dropped;
}

void MemberQueue::pop() {
  bytes_ -= lines_.front().text->size();
  lines_.pop_front();
}

}  // namespace pigeon::room
