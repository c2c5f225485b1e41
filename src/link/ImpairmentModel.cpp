#include "link/ImpairmentModel.h"

#include <algorithm>
#include <cmath>

namespace pigeon::link {

namespace {

// Sizes above this are charged as this much by the rate limiter, which
// keeps the arithmetic far from overflow (real datagrams are <= 64 KiB).
constexpr std::uint64_t kMaxChargedBytes = 1u << 24;

std::int64_t transmissionNs(std::size_t sizeBytes, std::uint64_t bitsPerSecond) {
  const std::uint64_t bits = std::min<std::uint64_t>(sizeBytes, kMaxChargedBytes) * 8;
  // ceil(bits * 1e9 / rate); bits * 1e9 < 2^64 for bits <= 2^27.
  const std::uint64_t numerator = bits * 1'000'000'000ull;
  return static_cast<std::int64_t>((numerator + bitsPerSecond - 1) / bitsPerSecond);
}

}  // namespace

ImpairmentModel::ImpairmentModel(const DirectionSpec& spec, std::uint64_t stream)
    : spec_(spec), random_(spec.seed.value_or(DirectionSpec::kDefaultSeed), stream) {}

std::vector<Delivery> ImpairmentModel::onPacket(std::int64_t nowNs, std::size_t sizeBytes) {
  std::vector<Delivery> out;
  onPacket(nowNs, sizeBytes, out);
  return out;
}

void ImpairmentModel::onPacket(std::int64_t nowNs, std::size_t sizeBytes,
                               std::vector<Delivery>& out) {
  nowNs = std::max(nowNs, lastNowNs_);
  lastNowNs_ = nowNs;
  ++counters_.offered;

  if (lostToBurst()) {
    ++counters_.droppedByBurst;
    return;
  }
  if (spec_.lossProbability > 0.0 && random_.chance(spec_.lossProbability)) {
    ++counters_.droppedByLoss;
    return;
  }
  const bool twice = spec_.duplicateProbability > 0.0 && random_.chance(spec_.duplicateProbability);
  if (twice) ++counters_.duplicated;

  for (int copy = 0; copy < (twice ? 2 : 1); ++copy) {
    // Drawn before the rate limiter decides, so the random sequence does
    // not depend on arrival times, only on the order and sizes of packets.
    Delivery delivery = shape(sizeBytes, copy == 1);
    const std::optional<std::int64_t> sentNs = transmit(nowNs, sizeBytes);
    if (!sentNs) {
      ++counters_.droppedByQueue;
      continue;
    }
    delivery.deliverAtNs += *sentNs;
    if (spec_.keepOrder) {
      delivery.deliverAtNs = std::max(delivery.deliverAtNs, lastDeliverAtNs_);
      lastDeliverAtNs_ = delivery.deliverAtNs;
    }
    ++counters_.passed;
    counters_.corrupted += delivery.corrupt ? 1 : 0;
    counters_.heldBack += delivery.heldBack ? 1 : 0;
    out.push_back(delivery);
  }
}

std::int64_t ImpairmentModel::minDelayNs() const {
  return std::max<std::int64_t>(0, spec_.delayNs - SeededRandom::kNormalBound * spec_.jitterNs);
}

bool ImpairmentModel::lostToBurst() {
  if (!spec_.burst) return false;
  const GilbertElliott& ge = *spec_.burst;
  const bool lost = random_.chance(bad_ ? ge.lossInBadProbability : ge.lossInGoodProbability);
  if (random_.chance(bad_ ? ge.leaveBadProbability : ge.enterBadProbability)) bad_ = !bad_;
  return lost;
}

std::optional<std::int64_t> ImpairmentModel::transmit(std::int64_t nowNs, std::size_t sizeBytes) {
  if (spec_.rateBitsPerSecond == 0) return nowNs;
  while (!onLink_.empty() && onLink_.front().doneNs <= nowNs) {
    onLinkBytes_ -= onLink_.front().sizeBytes;
    onLink_.pop_front();
  }
  const bool full = (spec_.queuePackets > 0 && onLink_.size() >= spec_.queuePackets) ||
                    (spec_.queueBytes > 0 && onLinkBytes_ + sizeBytes > spec_.queueBytes);
  if (full) return std::nullopt;
  const std::int64_t startNs = std::max(nowNs, linkFreeAtNs_);
  linkFreeAtNs_ = startNs + transmissionNs(sizeBytes, spec_.rateBitsPerSecond);
  onLink_.push_back({linkFreeAtNs_, sizeBytes});
  onLinkBytes_ += sizeBytes;
  return linkFreeAtNs_;
}

Delivery ImpairmentModel::shape(std::size_t sizeBytes, bool duplicate) {
  Delivery delivery;
  delivery.duplicate = duplicate;
  if (spec_.corruptProbability > 0.0 && random_.chance(spec_.corruptProbability) && sizeBytes > 0) {
    delivery.corrupt = true;
    delivery.corruptOffset = static_cast<std::size_t>(random_.below(sizeBytes));
    delivery.corruptMask = static_cast<std::uint8_t>(1 + random_.below(255));
  }
  std::int64_t delayNs = spec_.delayNs;
  if (spec_.jitterNs > 0) {
    const double jitterNs = random_.normal() * static_cast<double>(spec_.jitterNs);
    delayNs = std::max<std::int64_t>(0, delayNs + std::llround(jitterNs));
  }
  if (spec_.reorderProbability > 0.0 && random_.chance(spec_.reorderProbability)) {
    delivery.heldBack = true;
    delayNs += spec_.reorderHoldNs;
  }
  delivery.deliverAtNs = delayNs;  // from when the rate limiter has sent it
  return delivery;
}

}  // namespace pigeon::link
