#include "bench/MessageLog.h"

#include <stdexcept>

namespace pigeon::bench {

namespace {

const char* verdictName(metrics::SequenceTracker::Kind kind) {
  using Kind = metrics::SequenceTracker::Kind;
  switch (kind) {
    case Kind::kInOrder:
      return "in_order";
    case Kind::kGap:
      return "after_gap";
    case Kind::kReordered:
      return "reordered";
    case Kind::kDuplicate:
      return "duplicate";
    case Kind::kTooOld:
      return "too_old";
    case Kind::kImplausible:
      return "implausible";
  }
  return "unknown";
}

}  // namespace

MessageLog::MessageLog(const std::string& path) : out_(path, std::ios::trunc) {
  if (!out_) throw std::runtime_error("cannot create log file '" + path + "'");
}

void MessageLog::arrival(const std::string& transport, std::size_t sizeBytes,
                         std::uint32_t streamId, std::uint64_t sequence, std::int64_t sendTimeNs,
                         std::int64_t arrivalNs, const metrics::StreamStats::Verdict& verdict) {
  std::lock_guard lock(mutex_);
  out_ << R"({"transport":")" << transport << R"(","size":)" << sizeBytes << R"(,"stream":)"
       << streamId << R"(,"seq":)" << sequence << R"(,"send_ns":)" << sendTimeNs
       << R"(,"arrival_ns":)" << arrivalNs << R"(,"latency_us":)"
       << static_cast<double>(verdict.latencyNs) / 1e3 << R"(,"verdict":")"
       << verdictName(verdict.arrival.kind) << R"(","late":)" << (verdict.late ? "true" : "false")
       << "}\n";
}

void MessageLog::lostProbe(const std::string& transport, std::size_t sizeBytes,
                           std::uint32_t streamId, std::uint64_t sequence,
                           std::string_view direction) {
  std::lock_guard lock(mutex_);
  out_ << R"({"transport":")" << transport << R"(","size":)" << sizeBytes << R"(,"stream":)"
       << streamId << R"(,"seq":)" << sequence << R"(,"verdict":"lost","lost":")" << direction
       << "\"}\n";
}

void MessageLog::counters(const std::string& transport, std::size_t sizeBytes, std::int64_t nowNs,
                          const std::vector<std::pair<std::string_view, std::int64_t>>& fields) {
  std::lock_guard lock(mutex_);
  out_ << R"({"transport":")" << transport << R"(","size":)" << sizeBytes << R"(,"t_ns":)" << nowNs
       << R"(,"counters":{)";
  for (std::size_t i = 0; i < fields.size(); ++i) {
    out_ << (i ? "," : "") << '"' << fields[i].first << "\":" << fields[i].second;
  }
  out_ << "}}\n";
}

}  // namespace pigeon::bench
