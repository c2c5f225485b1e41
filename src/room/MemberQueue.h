#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>

namespace pigeon::room {

// One line the room has for a member: the text (shared by every member it
// went to) and the number it carries to that member. Numbers run 0, 1, 2...
// per member, so a member sees a gap where lines were lost on the way or
// dropped here.
struct OutLine {
  std::uint64_t sequence = 0;
  std::shared_ptr<const std::string> text;
};

// The lines waiting for one member, bounded in count and bytes. When full,
// the oldest line is dropped to make room (the room's one policy for a
// member that does not keep up): the member falls behind and loses lines,
// never the room. Not thread safe.
class MemberQueue {
 public:
  MemberQueue(std::size_t maxLines, std::size_t maxBytes);

  // Queues `text` with the next number; returns how many old lines were
  // dropped to make room for it.
  std::size_t push(std::shared_ptr<const std::string> text);

  bool empty() const { return lines_.empty(); }
  std::size_t size() const { return lines_.size(); }
  std::size_t bytes() const { return bytes_; }
  const OutLine& front() const { return lines_.front(); }
  void pop();

  const OutLine& at(std::size_t i) const { return lines_[i]; }
  // The number the next line will carry: how many were ever queued.
  std::uint64_t nextSequence() const { return nextSequence_; }
  std::uint64_t dropped() const { return dropped_; }

 private:
  std::size_t maxLines_;
  std::size_t maxBytes_;
  std::deque<OutLine> lines_;
  std::size_t bytes_ = 0;
  std::uint64_t nextSequence_ = 0;
  std::uint64_t dropped_ = 0;
};

}  // namespace pigeon::room
