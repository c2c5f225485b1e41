#pragma once

#include <cstdint>

namespace pigeon::transport::rudp {

// The retransmission timeout of RFC 6298, in nanoseconds:
//   first sample R:  SRTT = R, RTTVAR = R / 2
//   later samples:   RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R|,  SRTT = 7/8 SRTT + 1/8 R
//   RTO = clamp(SRTT + max(G, 4 * RTTVAR), minRto, maxRto)
// and, on each expiry of the timer, RTO doubles (backoff, up to maxRto)
// until the next sample. Karn's rule (no samples from retransmitted
// messages) is the caller's: it knows what was retransmitted.
// Not thread safe.
class RttEstimator {
 public:
  RttEstimator(std::int64_t initialRtoNs, std::int64_t minRtoNs, std::int64_t maxRtoNs,
               std::int64_t granularityNs);

  // One measured round trip; ends any backoff. Negative samples are ignored.
  void addSample(std::int64_t rttNs);

  // The timer expired: double the RTO (RFC 6298 5.5).
  void backOff();

  // The timeout to arm now, backoff included.
  std::int64_t rtoNs() const { return rtoNs_; }
  // RFC 9002 6.2.1's probe timeout, SRTT + max(G, 4 * RTTVAR) with no floor
  // but the granularity and no backoff (the sender counts its probes); the
  // RTO until the first sample.
  std::int64_t ptoNs() const;
  std::int64_t srttNs() const { return srttNs_; }
  std::int64_t latestNs() const { return latestNs_; }
  std::int64_t rttvarNs() const { return rttvarNs_; }
  bool hasSample() const { return hasSample_; }
  int backoffs() const { return backoffs_; }

 private:
  std::int64_t clamp(std::int64_t rtoNs) const;

  std::int64_t minRtoNs_;
  std::int64_t maxRtoNs_;
  std::int64_t granularityNs_;
  std::int64_t srttNs_ = 0;
  std::int64_t rttvarNs_ = 0;
  std::int64_t latestNs_ = 0;
  std::int64_t rtoNs_;
  bool hasSample_ = false;
  int backoffs_ = 0;
};

}  // namespace pigeon::transport::rudp
