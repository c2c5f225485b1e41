#pragma once

#include "transport/DatagramBatch.h"
#include "transport/SourceAddress.h"
#include "wire/Bytes.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace pigeon::link {

// The copies of one direction of a relay that are due, sent together: one
// sendmmsg(2) (through transport's DatagramBatch) for up to `capacity` of
// them, in the order they were added. Counts what the socket took and what
// it refused, control frames apart, for RelayCounters. Not thread safe;
// non-copyable.
class RelayOutbox {
 public:
  struct Tally {
    std::uint64_t sent = 0;
    std::uint64_t refused = 0;         // a full buffer, an error at once: the copy is lost
    std::uint64_t controlRefused = 0;  // of `refused`
  };

  RelayOutbox(std::size_t capacity, std::size_t slotBytes);

  // Keeps a copy to send. Returns false, keeping nothing, when full: flush first.
  bool add(wire::ByteSpan copy, bool control);
  bool full() const { return batch_.full(); }
  bool empty() const { return batch_.pending() == 0; }

  // Sends every copy kept through socket `fd`, to its connected peer when
  // `to` is empty, else to `to`; a copy refused is lost and the rest go on.
  // Forgets them all, and says what happened to them.
  Tally flush(int fd, const transport::SourceAddress& to);

 private:
  transport::DatagramBatch batch_;
  std::vector<bool> control_;  // per copy kept
};

}  // namespace pigeon::link
