#pragma once

#include "bench/BenchSettings.h"
#include "bench/Pacer.h"
#include "transport/BatchedDatagramIo.h"
#include "transport/DatagramBatch.h"
#include "transport/Transport.h"

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>

namespace pigeon::bench {

// The sending end of a one-way run (stream, burst, under-load): sends kData
// frames with sequence numbers from 0 and the send time in the header, on a
// schedule, then delivers its final count per stream as a kReport, sent
// again until the receiver acknowledges it (a lossy link may eat a report).
//
// Over UDP, messages due together (all of them at rate 0, a burst, or those
// a late wake-up finds due) leave in batches of up to kBatch, each stamped
// with the time its batch was filled: one UDP GSO send per batch where the
// kernel can (settings.udpSegmentation), otherwise one sendmmsg(2); the
// receiver gets one datagram per message either way. A message due alone
// is sent alone, stamped when it is sent.
//
// Over UDP every frame (data and report) carries the wire format's CRC-32
// trailer: a datagram changed on the way then fails its check at the sink
// and is counted corrupted, instead of delivering a wrong sequence number,
// send time or count. TCP and rudp check their bytes themselves. Not thread
// safe.
class BenchSender {
 public:
  static constexpr std::uint32_t kBulkStream = 1;
  static constexpr std::uint32_t kProbeStream = 2;
  static constexpr std::size_t kBatch = 64;

  BenchSender(transport::Transport& transport, const BenchSettings& settings,
              std::size_t sizeBytes);

  // Sends the workload; returns early when `stop` becomes true.
  void run(const std::atomic<bool>& stop);

  // Sends each stream's final count until acknowledged or `timeoutNs`
  // passes; true if every report was acknowledged.
  bool deliverReports(std::int64_t timeoutNs);

  std::uint64_t sent(std::uint32_t streamId) const;
  const metrics::LatencyHistogram& slip() const { return slip_; }

  // Per stream, the highest sequence number a sender with these settings
  // can send, where the settings bound it (a count, or a rate over a
  // duration): what the sink may call implausible above it.
  static std::map<std::uint32_t, std::uint64_t> sequenceCeilings(const BenchSettings& settings);

  // Messages that fit the run: settings.count, or what `durationS` allows
  // at `ratePerS`, for progress.

 private:
  void send(std::uint32_t streamId, std::int64_t sendTimeNs);
  // Batched path: adds bulk message `index` to the batch.
  void add(std::uint64_t index, std::int64_t sendTimeNs);
  void flush();
  void runPaced(const std::atomic<bool>& stop);
  void runBurst(const std::atomic<bool>& stop);
  void runUnderLoad(const std::atomic<bool>& stop);
  bool more(std::uint64_t index, std::int64_t nowNs) const;

  transport::Transport& transport_;
  transport::BatchedDatagramIo* udp_;                // the batched path, where there is one
  std::uint16_t frameFlags_;                         // wire::flags::kCrc on the batched UDP path
  std::unique_ptr<transport::DatagramBatch> batch_;  // with udp_
  const BenchSettings& settings_;
  wire::Bytes payload_;
  std::map<std::uint32_t, std::uint64_t> sent_;
  metrics::LatencyHistogram slip_;
  std::int64_t startNs_ = 0;
};

}  // namespace pigeon::bench
