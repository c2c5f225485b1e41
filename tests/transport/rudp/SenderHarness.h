#pragma once

// Test helper: an RudpSender whose transmissions are recorded, with the
// ISN at 0 so wire sequence numbers equal indices, and acks built by hand.

#include "transport/rudp/RudpSender.h"

#include <optional>
#include <utility>
#include <vector>

namespace pigeon::transport::rudp::test {

constexpr std::int64_t kMs = 1'000'000;

struct Transmission {
  std::uint64_t index;
  std::uint64_t id;
  bool operator==(const Transmission&) const = default;
};

struct SenderHarness {
  explicit SenderHarness(RudpOptions options = {}, ArqScheme arq = ArqScheme::kSelectiveRepeat,
                         std::uint32_t peerWindow = 1000)
      : sender(options, arq, SequenceSpace(0), peerWindow, counters,
               [this](const RudpSender::Outstanding& m, std::uint64_t, std::uint64_t id) {
                 sent.push_back({m.index, id});
               }) {}

  void send(int count, std::int64_t nowNs) {
    for (int i = 0; i < count; ++i) {
      wire::Header h;
      h.sequence = sender.nextIndex();
      const std::uint8_t byte = 1;
      sender.send(h, wire::ByteSpan(&byte, 1), nowNs);
    }
  }

  // `ranges` are absolute [start, end) indices above `cumulative`.
  static AckPacket ack(std::uint64_t cumulative,
                       std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges = {},
                       std::optional<Transmission> echo = std::nullopt,
                       std::uint32_t window = 1000) {
    AckPacket a;
    a.connectionId = 1;
    a.cumulative = cumulative;
    a.window = window;
    for (auto [start, end] : ranges) {
      a.ranges.push_back({static_cast<std::uint32_t>(start - cumulative),
                          static_cast<std::uint32_t>(end - start)});
    }
    if (echo) {
      a.flags |= ackflags::kEcho;
      a.echoSequence = echo->index;
      a.echoTransmission = echo->id;
    }
    return a;
  }

  std::vector<Transmission> takeSent() { return std::exchange(sent, {}); }

  RudpCounters counters;
  std::vector<Transmission> sent;
  RudpSender sender;
};

}  // namespace pigeon::transport::rudp::test
