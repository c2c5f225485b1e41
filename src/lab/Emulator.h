#pragma once

#include "link/ImpairmentModel.h"
#include "link/LinkSpec.h"
#include "link/OfferOrder.h"
#include "metrics/LatencyHistogram.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

namespace pigeon::lab {

// The transport protocol of an IP packet, as the emulator counts it.
enum class Protocol { kTcp, kUdp, kOther };

// Reads the protocol from an IPv4 (byte 9) or IPv6 (next header, byte 6)
// header; anything shorter, another version or an extension header is
// kOther. The packet is hostile: only bounds-checked reads.
Protocol classify(const unsigned char* packet, std::size_t sizeBytes);

// What the emulator did to the packets of one protocol in one direction.
struct ProtocolCounters {
  std::uint64_t seen = 0;              // packets offered to the model
  std::uint64_t droppedByModel = 0;    // independent and burst loss
  std::uint64_t droppedByQueue = 0;    // found the rate limiter's queue full
  std::uint64_t droppedByBacklog = 0;  // the emulator's own backlog was full
  std::uint64_t duplicated = 0;        // extra copies made
  std::uint64_t corrupted = 0;         // copies with one byte flipped
  std::uint64_t heldBack = 0;          // copies `reorder` held back to be overtaken
  // Copies that left after a copy of this protocol offered later (RFC 4737
  // on the link's own output, as a bench counts it): jitter's swaps and the
  // holds that something overtook.
  std::uint64_t reordered = 0;
  std::uint64_t delivered = 0;  // copies handed on when due

  ProtocolCounters& operator+=(const ProtocolCounters& other);
  bool operator==(const ProtocolCounters&) const = default;
};

// One direction: per protocol, and the delay the emulator applied to the
// copies it let through (rate limiter wait + delay + jitter + hold).
struct DirectionCounters {
  ProtocolCounters tcp;
  ProtocolCounters udp;
  ProtocolCounters other;
  std::int64_t delayP50Ns = 0;  // 0 when nothing passed
  std::int64_t delayP99Ns = 0;
  std::int64_t delayMaxNs = 0;
  // How late the copies left against their due time (deliverDue's now -
  // due): the emulator's own timing error, 0 when nothing left.
  std::int64_t lateP50Ns = 0;
  std::int64_t lateP99Ns = 0;
  std::int64_t lateMaxNs = 0;

  ProtocolCounters total() const;
  const ProtocolCounters& of(Protocol protocol) const;
};

// The lab's link emulator, sans I/O: packets and the time come in, the
// copies due by a given time go out through a callback. Each direction
// (up = near -> far, down = far -> near) has its own ImpairmentModel (up:
// stream 0, down: stream 1, as in LinkRelay), so one SPEC and seed give the
// same per-packet decisions as `pigeon link`. Copies wait in a min-heap on
// their delivery time; equal times leave in arrival order. Not thread safe.
class Emulator {
 public:
  enum class Direction { kUp, kDown };
  using Deliver = std::function<void(Direction, const std::vector<unsigned char>&)>;

  // Beyond these the emulator drops copies itself (droppedByBacklog).
  static constexpr std::size_t kMaxBacklogCopies = 1u << 18;
  static constexpr std::size_t kMaxBacklogBytes = 256u << 20;

  explicit Emulator(const link::LinkSpec& spec);

  // Offers one packet that arrived at `nowNs` (the caller's clock).
  void onPacket(Direction direction, std::int64_t nowNs, const unsigned char* data,
                std::size_t sizeBytes);

  // When the next copy is due; none when nothing waits.
  std::optional<std::int64_t> nextDueNs() const;
  // Hands every copy due by `nowNs` to `deliver`, earliest first.
  void deliverDue(std::int64_t nowNs, const Deliver& deliver);
  std::size_t pending() const { return heap_.size(); }

  DirectionCounters counters(Direction direction) const;
  // Zeroes the counters (not the models' state), e.g. between two runs
  // across the same link.
  void resetCounters();
  const link::LinkSpec& spec() const { return spec_; }

 private:
  struct Pending {
    std::int64_t dueNs;
    std::uint64_t order;
    Direction direction;
    Protocol protocol;
    std::vector<unsigned char> bytes;
  };
  struct Side {
    link::ImpairmentModel model;
    ProtocolCounters byProtocol[3];
    metrics::LatencyHistogram delay;
    metrics::LatencyHistogram late;
    link::OfferOrder leftInOrder[3];  // per protocol; kept across resetCounters
  };

  Side& side(Direction direction) { return direction == Direction::kUp ? up_ : down_; }
  const Side& side(Direction direction) const { return direction == Direction::kUp ? up_ : down_; }

  link::LinkSpec spec_;
  Side up_;
  Side down_;
  std::vector<Pending> heap_;
  std::size_t heapBytes_ = 0;
  std::uint64_t nextOrder_ = 0;
  std::vector<link::Delivery> deliveries_;
};

}  // namespace pigeon::lab
