#pragma once

#include "metrics/LatencySummary.h"
#include "metrics/RunFacts.h"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace pigeon::metrics {

class StreamStats;

// The figures a result always holds, which only a run that finished has
// measured: a failed one (its `error` set) reports them as null, since a 0
// would read as "nothing lost".
inline bool measuredOnlyByARun(std::string_view key) {
  static constexpr std::string_view kKeys[] = {
      "sent",           "delivered",       "lost",         "duplicates", "reordered",
      "reorder_extent", "throughput_mbps", "goodput_mbps", "elapsed_s",  "delivered_per_s"};
  return std::find(std::begin(kKeys), std::end(kKeys), key) != std::end(kKeys);
}

// One transport's result in a bench run: a plain value. Each field's JSON
// name is in its comment; docs/results.md gives every formula. nullopt is
// written as null ("n/a" in the table).
struct TransportResult {
  std::string transport;                          // transport
  std::optional<std::string> error;               // error: why this run failed (null if not)
  std::uint64_t sent = 0;                         // sent
  std::uint64_t delivered = 0;                    // delivered (unique)
  std::uint64_t lost = 0;                         // lost = sent - delivered
  std::optional<std::uint64_t> corrupted;         // corrupted: failed the CRC-32, not delivered
  std::uint64_t duplicates = 0;                   // duplicates
  std::uint64_t reordered = 0;                    // reordered (RFC 4737)
  std::uint64_t reorderExtent = 0;                // reorder_extent
  std::optional<std::uint64_t> late;              // late (null without a deadline)
  std::optional<LatencySummary> latencyUs;        // latency_us {min p50 p90 p99 p999 max mean}
  std::optional<double> jitterUs;                 // jitter_us (RFC 3550)
  std::optional<double> ipdvUs;                   // ipdv_us: mean |IPDV| (RFC 5481)
  std::optional<double> ipdvP99Us;                // ipdv_p99_us: p99 of |IPDV|
  double throughputMbps = 0.0;                    // throughput_mbps
  double goodputMbps = 0.0;                       // goodput_mbps
  std::optional<std::uint64_t> socketDrops;       // socket_drops
  double elapsedS = 0.0;                          // elapsed_s
  double deliveredPerS = 0.0;                     // delivered_per_s
  std::optional<std::uint64_t> retransmits;       // retransmits
  std::optional<LatencySummary> rttUs;            // rtt_us {same as latency_us}
  std::optional<std::string> congestionControl;   // congestion_control
  std::map<std::string, std::uint64_t> counters;  // counters {name: value}
  std::optional<bool> metImpairedLink = false;    // met_impaired_link (null: unknown)
  std::optional<std::uint64_t> lostOutbound;      // lost_outbound (echo)
  std::optional<std::uint64_t> lostReturn;        // lost_return (echo)
  // Echo mode (bench --target, pingpong), and what only a pigeon echo's
  // stamps give (EchoStamp.h):
  std::optional<std::string> echo;                // echo: "pigeon" or "rfc862"
  std::optional<LatencySummary> returnLatencyUs;  // return_latency_us: one-way, echo to us
  std::optional<double> outboundIpdvUs;           // outbound_ipdv_us: mean |IPDV| one-way out
  std::optional<double> returnIpdvUs;             // return_ipdv_us: mean |IPDV| one-way back
  std::optional<double> echoProcessingUs;         // echo_processing_us: mean, taken out of rtt
  // The sender fell behind its own schedule (send slip, docs/results.md):
  // the figures then describe a busy machine. Null where nothing was paced.
  std::optional<bool> behindSchedule;  // behind_schedule

  // Builds a result from a finished stream and the facts it cannot know.
  // Latency (or RTT when facts.roundTrip) is null when nothing was
  // delivered; jitter needs two deliveries and IPDV one measured pair. A
  // stream's tooOld arrivals, if any, appear as counter "too_old", its
  // implausible ones as "implausible_seq", facts.malformed as "malformed".
  static TransportResult fromStream(std::string transport, const StreamStats& stats,
                                    const RunFacts& facts = {});

  bool operator==(const TransportResult&) const = default;
};

}  // namespace pigeon::metrics
