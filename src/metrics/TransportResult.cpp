#include "metrics/TransportResult.h"

#include "metrics/StreamStats.h"

#include <utility>

namespace pigeon::metrics {

namespace {

std::uint64_t minus(std::uint64_t a, std::uint64_t b) { return a > b ? a - b : 0; }

}  // namespace

TransportResult TransportResult::fromStream(std::string transport, const StreamStats& stats,
                                            const RunFacts& facts) {
  TransportResult r;
  r.transport = std::move(transport);
  r.sent = stats.sent();
  r.delivered = stats.delivered();
  r.lost = stats.lost();
  r.duplicates = stats.duplicates();
  r.reordered = stats.reordered();
  r.reorderExtent = stats.reorderExtent();
  if (stats.deadlineNs()) r.late = stats.late();

  std::optional<LatencySummary> latency;
  if (stats.latency().count() > 0) latency = LatencySummary::fromHistogram(stats.latency());
  if (facts.roundTrip) {
    r.rttUs = latency;
  } else {
    r.latencyUs = latency;
    r.rttUs = facts.rttUs;
  }
  if (stats.jitter().packets() >= 2) r.jitterUs = stats.jitter().jitterNs() / 1000.0;
  if (stats.ipdv().pairs() > 0) {
    r.ipdvUs = stats.ipdv().meanAbsNs() / 1000.0;
    r.ipdvP99Us = static_cast<double>(stats.ipdv().absHistogram().percentile(99.0)) / 1000.0;
  }

  r.throughputMbps = stats.throughputMbps();
  r.goodputMbps = stats.goodputMbps();
  r.elapsedS = static_cast<double>(stats.elapsedNs()) / 1e9;
  r.deliveredPerS = stats.deliveredPerS();

  r.socketDrops = facts.socketDrops;
  r.retransmits = facts.retransmits;
  r.congestionControl = facts.congestionControl;
  r.counters = facts.counters;
  if (stats.tooOld() > 0) r.counters["too_old"] = stats.tooOld();
  if (stats.implausible() > 0) r.counters["implausible_seq"] = stats.implausible();
  r.corrupted = facts.corrupted;
  if (facts.malformed) r.counters["malformed"] = *facts.malformed;
  r.metImpairedLink = facts.metImpairedLink;
  if (facts.reflectorReceived) {
    r.lostOutbound = minus(r.sent, *facts.reflectorReceived);
    r.lostReturn = minus(*facts.reflectorReceived, r.delivered);
  }
  return r;
}

}  // namespace pigeon::metrics
