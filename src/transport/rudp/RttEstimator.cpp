#include "transport/rudp/RttEstimator.h"

#include <algorithm>

namespace pigeon::transport::rudp {

RttEstimator::RttEstimator(std::int64_t initialRtoNs, std::int64_t minRtoNs, std::int64_t maxRtoNs,
                           std::int64_t granularityNs)
    : minRtoNs_(std::max<std::int64_t>(1, minRtoNs)),
      maxRtoNs_(std::max(maxRtoNs, minRtoNs_)),
      granularityNs_(std::max<std::int64_t>(0, granularityNs)),
      rtoNs_(clamp(initialRtoNs)) {}

std::int64_t RttEstimator::clamp(std::int64_t rtoNs) const {
  return std::clamp(rtoNs, minRtoNs_, maxRtoNs_);
}

void RttEstimator::addSample(std::int64_t rttNs) {
  if (rttNs < 0) return;
  latestNs_ = rttNs;
  if (!hasSample_) {
    srttNs_ = rttNs;  // (2.2)
    rttvarNs_ = rttNs / 2;
    hasSample_ = true;
  } else {  // (2.3): RTTVAR first, with the old SRTT
    const std::int64_t deviation = srttNs_ > rttNs ? srttNs_ - rttNs : rttNs - srttNs_;
    rttvarNs_ = (3 * rttvarNs_ + deviation) / 4;
    srttNs_ = (7 * srttNs_ + rttNs) / 8;
  }
  // Far from overflow: samples are bounded by how long a message waits.
  rtoNs_ = clamp(srttNs_ + std::max(granularityNs_, 4 * rttvarNs_));
  backoffs_ = 0;
}

std::int64_t RttEstimator::ptoNs() const {
  if (!hasSample_) return rtoNs_;
  return std::min(srttNs_ + std::max(granularityNs_, 4 * rttvarNs_), maxRtoNs_);
}

void RttEstimator::backOff() {
  rtoNs_ = rtoNs_ > maxRtoNs_ / 2 ? maxRtoNs_ : 2 * rtoNs_;
  ++backoffs_;
}

}  // namespace pigeon::transport::rudp
