#pragma once

#include "bench/BenchSettings.h"
#include "bench/ProbeTimeout.h"
#include "metrics/StreamStats.h"
#include "transport/Transport.h"

#include <atomic>
#include <cstdint>
#include <optional>

namespace pigeon::bench {

// The client side of an echo run: one kEcho probe in flight at a time (paced
// by `rate` if given), each answered by the reflector or, after a
// ProbeTimeout derived from the round trips seen, given up on. The round trip of each
// reply goes to roundTrip(); the outbound one-way delay to outbound(), read
// from the reflector's stamp: directly where both share a clock (same host
// or namespaces), otherwise corrected by a clock offset estimated from the
// fastest of a few warm-up round trips (offset = stamp - (send + arrival)/2,
// which assumes the path is as slow one way as the other).
class PingPongClient {
 public:
  PingPongClient(transport::Transport& transport, const BenchSettings& settings,
                 std::size_t sizeBytes, bool sharedClock);

  // Estimates the clock offset (if not shared), then sends the probes, then
  // waits `drainMs` for late replies and asks the reflector how many probes
  // it received. Returns early when `stop` becomes true.
  void run(const std::atomic<bool>& stop);

  metrics::StreamStats& roundTrip() { return roundTrip_; }
  metrics::StreamStats& outbound() { return outbound_; }
  std::uint64_t sent() const { return sent_; }
  std::optional<std::uint64_t> reflectorReceived() const { return reflectorReceived_; }
  bool sharedClock() const { return sharedClock_; }
  std::int64_t elapsedNs() const { return elapsedNs_; }
  const ProbeTimeout& probeTimeout() const { return timeout_; }

 private:
  void sendProbe(std::uint64_t sequence, std::uint32_t streamId);
  // Takes replies until the one for `sequence` or `untilNs`.
  void collect(std::uint64_t sequence, std::int64_t untilNs);
  void record(const transport::Incoming& in);
  void estimateOffset(const std::atomic<bool>& stop);
  void askReflector();

  transport::Transport& transport_;
  const BenchSettings& settings_;
  wire::Bytes payload_;
  bool sharedClock_;
  std::int64_t offsetNs_ = 0;
  std::uint64_t sent_ = 0;
  metrics::StreamStats roundTrip_;
  metrics::StreamStats outbound_;
  std::optional<std::uint64_t> reflectorReceived_;
  std::int64_t elapsedNs_ = 0;
  // Warm-up replies (stream 0) feed the offset estimate, not the results.
  std::int64_t bestRttNs_ = INT64_MAX;
  // When an unanswered probe is given up on (ProbeTimeout).
  ProbeTimeout timeout_;
};

}  // namespace pigeon::bench
