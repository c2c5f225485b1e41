#pragma once

#include "metrics/StreamStats.h"

#include <cstdint>
#include <fstream>
#include <mutex>
#include <string>

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

 private:
  std::mutex mutex_;
  std::ofstream out_;
};

}  // namespace pigeon::bench
