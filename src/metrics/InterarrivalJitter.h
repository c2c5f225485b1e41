#pragma once

#include <cstdint>

namespace pigeon::metrics {

// RFC 3550 §6.4.1 interarrival jitter, in nanoseconds.
//
// For each packet the transit time is T = arrivalNs - sendTimeNs. For two
// packets taken one after the other in arrival order, D = T(j) - T(i), and
//     J += (|D| - J) / 16
// starting from J = 0 at the first packet. The clocks of sender and receiver
// need not be shared: a constant offset cancels in D. Kept as a double in
// nanoseconds (the RFC's sample code keeps 16 * J in integers; the values
// agree up to its rounding). Not thread safe.
class InterarrivalJitter {
 public:
  // Feeds one packet, in arrival order.
  void record(std::int64_t sendTimeNs, std::int64_t arrivalNs) {
    const std::int64_t transitNs = arrivalNs - sendTimeNs;
    if (packets_++ != 0) {
      const std::int64_t d = transitNs - lastTransitNs_;
      const double absD = static_cast<double>(d < 0 ? -d : d);
      jitterNs_ += (absD - jitterNs_) * (1.0 / 16.0);
    }
    lastTransitNs_ = transitNs;
  }

  double jitterNs() const { return jitterNs_; }
  // Packets fed so far; the estimate has packets() - 1 differences in it.
  std::uint64_t packets() const { return packets_; }

 private:
  std::uint64_t packets_ = 0;
  std::int64_t lastTransitNs_ = 0;
  double jitterNs_ = 0.0;
};

}  // namespace pigeon::metrics
