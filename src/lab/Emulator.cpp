#include "lab/Emulator.h"

#include <algorithm>

namespace pigeon::lab {

namespace {

constexpr unsigned char kIpProtoTcp = 6;
constexpr unsigned char kIpProtoUdp = 17;

bool dueLater(const auto& a, const auto& b) {
  return a.dueNs != b.dueNs ? a.dueNs > b.dueNs : a.order > b.order;
}

std::size_t indexOf(Protocol protocol) { return static_cast<std::size_t>(protocol); }

}  // namespace

Protocol classify(const unsigned char* packet, std::size_t sizeBytes) {
  if (sizeBytes < 1) return Protocol::kOther;
  const unsigned version = packet[0] >> 4;
  unsigned char protocol = 0;
  if (version == 4 && sizeBytes >= 20) {
    protocol = packet[9];
  } else if (version == 6 && sizeBytes >= 40) {
    protocol = packet[6];
  } else {
    return Protocol::kOther;
  }
  if (protocol == kIpProtoTcp) return Protocol::kTcp;
  if (protocol == kIpProtoUdp) return Protocol::kUdp;
  return Protocol::kOther;
}

ProtocolCounters& ProtocolCounters::operator+=(const ProtocolCounters& o) {
  seen += o.seen;
  droppedByModel += o.droppedByModel;
  droppedByQueue += o.droppedByQueue;
  droppedByBacklog += o.droppedByBacklog;
  duplicated += o.duplicated;
  corrupted += o.corrupted;
  heldBack += o.heldBack;
  reordered += o.reordered;
  delivered += o.delivered;
  return *this;
}

ProtocolCounters DirectionCounters::total() const {
  ProtocolCounters sum = tcp;
  sum += udp;
  sum += other;
  return sum;
}

const ProtocolCounters& DirectionCounters::of(Protocol protocol) const {
  switch (protocol) {
    case Protocol::kTcp:
      return tcp;
    case Protocol::kUdp:
      return udp;
    case Protocol::kOther:
      break;
  }
  return other;
}

Emulator::Emulator(const link::LinkSpec& spec)
    : spec_(spec),
      up_{link::ImpairmentModel(spec.up, 0), {}, {}, {}, {}},
      down_{link::ImpairmentModel(spec.down, 1), {}, {}, {}, {}} {}

void Emulator::onPacket(Direction direction, std::int64_t nowNs, const unsigned char* data,
                        std::size_t sizeBytes) {
  Side& s = side(direction);
  const Protocol protocol = classify(data, sizeBytes);
  ProtocolCounters& c = s.byProtocol[indexOf(protocol)];
  const link::ImpairmentCounters before = s.model.counters();
  deliveries_.clear();
  s.model.onPacket(nowNs, sizeBytes, deliveries_);
  const link::ImpairmentCounters& after = s.model.counters();
  ++c.seen;
  c.droppedByModel +=
      (after.droppedByLoss - before.droppedByLoss) + (after.droppedByBurst - before.droppedByBurst);
  c.droppedByQueue += after.droppedByQueue - before.droppedByQueue;
  c.duplicated += after.duplicated - before.duplicated;
  for (const link::Delivery& delivery : deliveries_) {
    if (heap_.size() >= kMaxBacklogCopies || heapBytes_ + sizeBytes > kMaxBacklogBytes) {
      ++c.droppedByBacklog;
      continue;
    }
    Pending pending{
        delivery.deliverAtNs, nextOrder_++, direction, protocol, {data, data + sizeBytes}};
    if (delivery.corrupt && delivery.corruptOffset < sizeBytes) {
      pending.bytes[delivery.corruptOffset] ^= delivery.corruptMask;
      ++c.corrupted;
    }
    c.heldBack += delivery.heldBack ? 1 : 0;
    // The model clamps an earlier time to the latest it saw; so does this.
    s.delay.record(delivery.deliverAtNs - nowNs);
    heap_.push_back(std::move(pending));
    std::push_heap(heap_.begin(), heap_.end(), dueLater<Pending, Pending>);
    heapBytes_ += sizeBytes;
  }
}

std::optional<std::int64_t> Emulator::nextDueNs() const {
  if (heap_.empty()) return std::nullopt;
  return heap_.front().dueNs;
}

void Emulator::deliverDue(std::int64_t nowNs, const Deliver& deliver) {
  while (!heap_.empty() && heap_.front().dueNs <= nowNs) {
    std::pop_heap(heap_.begin(), heap_.end(), dueLater<Pending, Pending>);
    Pending pending = std::move(heap_.back());
    heap_.pop_back();
    heapBytes_ -= pending.bytes.size();
    Side& s = side(pending.direction);
    const std::size_t p = indexOf(pending.protocol);
    ++s.byProtocol[p].delivered;
    s.byProtocol[p].reordered += s.leftInOrder[p].left(pending.order) ? 0 : 1;
    s.late.record(nowNs - pending.dueNs);
    deliver(pending.direction, pending.bytes);
  }
}

void Emulator::resetCounters() {
  for (Side* s : {&up_, &down_}) {
    for (auto& c : s->byProtocol) c = {};
    s->delay = metrics::LatencyHistogram();
    s->late = metrics::LatencyHistogram();
  }
}

DirectionCounters Emulator::counters(Direction direction) const {
  const Side& s = side(direction);
  DirectionCounters out;
  out.tcp = s.byProtocol[indexOf(Protocol::kTcp)];
  out.udp = s.byProtocol[indexOf(Protocol::kUdp)];
  out.other = s.byProtocol[indexOf(Protocol::kOther)];
  if (s.delay.count() > 0) {
    out.delayP50Ns = s.delay.percentile(50);
    out.delayP99Ns = s.delay.percentile(99);
    out.delayMaxNs = s.delay.maxNs();
  }
  if (s.late.count() > 0) {
    out.lateP50Ns = s.late.percentile(50);
    out.lateP99Ns = s.late.percentile(99);
    out.lateMaxNs = s.late.maxNs();
  }
  return out;
}

}  // namespace pigeon::lab
