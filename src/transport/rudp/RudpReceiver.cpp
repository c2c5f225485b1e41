#include "transport/rudp/RudpReceiver.h"

#include <algorithm>

namespace pigeon::transport::rudp {

RudpReceiver::RudpReceiver(std::uint32_t capacity, ArqScheme arq, DeliveryMode delivery)
    : capacity_(std::max<std::uint32_t>(1, capacity)),
      arq_(arq),
      delivery_(arq == ArqScheme::kSelectiveRepeat ? delivery : DeliveryMode::kOrdered),
      slots_(capacity_) {}

std::uint32_t RudpReceiver::window() const {
  const std::size_t counted = ready_.size() - readyEarly_;
  return counted >= capacity_ ? 0 : capacity_ - static_cast<std::uint32_t>(counted);
}

RudpReceiver::Verdict RudpReceiver::onData(std::uint64_t index, RudpMessage message,
                                           std::int64_t nowNs) {
  if (index < cumulative_) return Verdict::kDuplicate;
  if (index - cumulative_ >= window()) return Verdict::kOutOfWindow;
  if (arq_ != ArqScheme::kSelectiveRepeat && index != cumulative_) {
    return Verdict::kOutOfOrderDiscarded;
  }
  Slot& s = slot(index);
  if (s.arrived) return Verdict::kDuplicate;
  s.arrived = true;
  highestArrived_ = std::max(highestArrived_, index + 1);
  if (delivery_ == DeliveryMode::kUnordered || index == cumulative_) {
    message.deliveredNs = nowNs;
    ready_.push_back({index, std::move(message)});
    if (index != cumulative_) {
      s.early = true;
      ++readyEarly_;
    }
  } else {
    s.held = std::move(message);
  }
  advance(nowNs);
  return Verdict::kAccepted;
}

void RudpReceiver::advance(std::int64_t nowNs) {
  while (true) {
    Slot& s = slot(cumulative_);
    if (!s.arrived) break;
    if (s.held) {
      s.held->deliveredNs = nowNs;
      ready_.push_back({cumulative_, std::move(*s.held)});
    }
    if (s.early) --readyEarly_;  // now below the cumulative point: it counts
    s = Slot{};
    ++cumulative_;
  }
}

std::optional<RudpMessage> RudpReceiver::take() {
  if (ready_.empty()) return std::nullopt;
  Ready r = std::move(ready_.front());
  ready_.pop_front();
  if (r.index >= cumulative_) {  // taken while still above the cumulative point
    slot(r.index).early = false;
    --readyEarly_;
  }
  return std::move(r.message);
}

void RudpReceiver::sackRanges(std::size_t maxRanges, std::vector<SackRange>& out) const {
  out.clear();
  if (arq_ != ArqScheme::kSelectiveRepeat) return;
  std::uint64_t i = cumulative_ + 1;  // the cumulative point itself has not arrived
  while (i < highestArrived_ && out.size() < maxRanges) {
    if (!slot(i).arrived) {
      ++i;
      continue;
    }
    const std::uint64_t start = i;
    while (i < highestArrived_ && slot(i).arrived) ++i;
    out.push_back(
        {static_cast<std::uint32_t>(start - cumulative_), static_cast<std::uint32_t>(i - start)});
  }
}

}  // namespace pigeon::transport::rudp
