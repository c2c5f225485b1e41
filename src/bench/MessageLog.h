#pragma once

#include "metrics/StreamStats.h"

#include <cstdint>
#include <fstream>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pigeon::bench {

// `--log FILE`: one JSON object per line per received message, for people
// who want to plot or check every arrival. Thread safe: the sinks of one
// run may share it.
class MessageLog {
 public:
  // Throws std::runtime_error naming the file if it cannot be created.
  explicit MessageLog(const std::string& path);

  void arrival(const std::string& transport, std::size_t sizeBytes, std::uint32_t streamId,
               std::uint64_t sequence, std::int64_t sendTimeNs, std::int64_t arrivalNs,
               const metrics::StreamStats::Verdict& verdict);

  // Echo mode: a probe that got no reply, and the way it was lost in
  // ("outbound", "return" or "unknown": PingPongClient::lossDirections).
  void lostProbe(const std::string& transport, std::size_t sizeBytes, std::uint32_t streamId,
                 std::uint64_t sequence, std::string_view direction);

  // A line of a transport's own counters at `nowNs` (rudp's SRTT, RTO and
  // retransmissions), written every few milliseconds during a run so their
  // course over time can be plotted beside the arrivals.
  void counters(const std::string& transport, std::size_t sizeBytes, std::int64_t nowNs,
                const std::vector<std::pair<std::string_view, std::int64_t>>& fields);

 private:
  std::mutex mutex_;
  std::ofstream out_;
};

}  // namespace pigeon::bench
