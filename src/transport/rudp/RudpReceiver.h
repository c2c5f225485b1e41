#pragma once

#include "transport/rudp/RudpMessage.h"
#include "transport/rudp/RudpOptions.h"
#include "transport/rudp/RudpPackets.h"

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

namespace pigeon::transport::rudp {

// The receiving half of a connection: receive window, reassembly,
// duplicate discard and the cumulative + selective acknowledgement state.
// Works on indices (SequenceSpace); no socket, no clock. Not thread safe.
//
// The window is `capacity` less the messages waiting for the application
// that lie below the cumulative point: a slow reader shrinks it to 0 and
// the sender stops (flow control). Its right edge (cumulative + window)
// never moves left. (An unordered message handed up early already sits
// inside the window, so it is not counted twice; at most 2 x capacity
// messages wait.)
//  - selective repeat, ordered: holds messages after a gap, hands them up
//    in order once the gap fills;
//  - selective repeat, unordered: hands each new message up at once,
//    remembering which arrived so each is handed up exactly once;
//  - go-back-n, stop-and-wait: takes only the next message in order and
//    discards the rest.
class RudpReceiver {
 public:
  enum class Verdict {
    kAccepted,             // new; held or ready for the application
    kDuplicate,            // had it already
    kOutOfOrderDiscarded,  // go-back-n / stop-and-wait: not the next one
    kOutOfWindow,          // beyond what the window takes
  };

  RudpReceiver(std::uint32_t capacity, ArqScheme arq, DeliveryMode delivery);

  Verdict onData(std::uint64_t index, RudpMessage message, std::int64_t nowNs);

  bool hasMessage() const { return !ready_.empty(); }
  std::size_t waiting() const { return ready_.size(); }
  std::optional<RudpMessage> take();

  // The next index expected in order: everything below it has arrived.
  std::uint64_t cumulative() const { return cumulative_; }
  std::uint32_t window() const;
  // Something above the cumulative point arrived: a message is missing.
  bool hasGap() const { return highestArrived_ > cumulative_; }
  std::uint32_t capacity() const { return capacity_; }

  // Runs of arrived messages above the cumulative point, lowest first, at
  // most `maxRanges` (selective repeat only; empty otherwise).
  void sackRanges(std::size_t maxRanges, std::vector<SackRange>& out) const;

 private:
  struct Slot {
    bool arrived = false;
    bool early = false;               // unordered: handed up, not yet taken
    std::optional<RudpMessage> held;  // ordered mode, after a gap
  };
  struct Ready {
    std::uint64_t index;
    RudpMessage message;
  };
  Slot& slot(std::uint64_t index) { return slots_[static_cast<std::size_t>(index % capacity_)]; }
  const Slot& slot(std::uint64_t index) const {
    return slots_[static_cast<std::size_t>(index % capacity_)];
  }
  void advance(std::int64_t nowNs);

  std::uint32_t capacity_;
  ArqScheme arq_;
  DeliveryMode delivery_;
  std::vector<Slot> slots_;  // ring over [cumulative_, cumulative_ + capacity_)
  std::uint64_t cumulative_ = 0;
  std::uint64_t highestArrived_ = 0;  // one past the highest index that arrived
  std::deque<Ready> ready_;
  std::size_t readyEarly_ = 0;  // ready messages above the cumulative point
};

}  // namespace pigeon::transport::rudp
