#pragma once

#include "bench/BenchSettings.h"
#include "bench/Pacer.h"
#include "transport/Transport.h"

#include <atomic>
#include <cstdint>
#include <map>
#include <optional>

namespace pigeon::bench {

// The sending end of a one-way run (stream, burst, under-load): sends kData
// frames with sequence numbers from 0 and the send time in the header, on a
// schedule, then delivers its final count per stream as a kReport, sent
// again until the receiver acknowledges it (a lossy link may eat a report).
class BenchSender {
 public:
  static constexpr std::uint32_t kBulkStream = 1;
  static constexpr std::uint32_t kProbeStream = 2;

  BenchSender(transport::Transport& transport, const BenchSettings& settings,
              std::size_t sizeBytes);

  // Sends the workload; returns early when `stop` becomes true.
  void run(const std::atomic<bool>& stop);

  // Sends each stream's final count until acknowledged or `timeoutNs`
  // passes; true if every report was acknowledged.
  bool deliverReports(std::int64_t timeoutNs);

  std::uint64_t sent(std::uint32_t streamId) const;
  const metrics::LatencyHistogram& slip() const { return slip_; }
  std::int64_t startNs() const { return startNs_; }
  std::int64_t endNs() const { return endNs_; }

  // Messages that fit the run: settings.count, or what `durationS` allows
  // at `ratePerS`, for progress.
  std::uint64_t plannedCount() const;

 private:
  void send(std::uint32_t streamId, std::int64_t sendTimeNs);
  void runPaced(const std::atomic<bool>& stop);
  void runBurst(const std::atomic<bool>& stop);
  void runUnderLoad(const std::atomic<bool>& stop);
  bool more(std::uint64_t index, std::int64_t nowNs) const;

  transport::Transport& transport_;
  const BenchSettings& settings_;
  wire::Bytes payload_;
  std::map<std::uint32_t, std::uint64_t> sent_;
  metrics::LatencyHistogram slip_;
  std::int64_t startNs_ = 0;
  std::int64_t endNs_ = 0;
};

}  // namespace pigeon::bench
