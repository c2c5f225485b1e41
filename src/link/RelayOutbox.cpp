#include "link/RelayOutbox.h"

namespace pigeon::link {

RelayOutbox::RelayOutbox(std::size_t capacity, std::size_t slotBytes)
    : batch_(capacity, slotBytes) {
  control_.reserve(batch_.capacity());
}

bool RelayOutbox::add(wire::ByteSpan copy, bool control) {
  if (!batch_.addDatagram(copy)) return false;
  control_.push_back(control);
  return true;
}

RelayOutbox::Tally RelayOutbox::flush(int fd, const transport::SourceAddress& to) {
  Tally tally;
  const std::size_t pending = batch_.pending();
  std::size_t next = 0;
  while (next < pending) {
    const int n = to.empty() ? batch_.sendPending(fd, next) : batch_.sendPendingTo(fd, next, to);
    if (n > 0) {
      tally.sent += static_cast<std::uint64_t>(n);
      next += static_cast<std::size_t>(n);
      continue;
    }
    // sendmmsg says an error only for the first copy it tried (EINTR is
    // retried inside): that copy is refused, the next call starts after it.
    ++tally.refused;
    if (control_[next]) ++tally.controlRefused;
    ++next;
  }
  batch_.clear();
  control_.clear();
  return tally;
}

}  // namespace pigeon::link
