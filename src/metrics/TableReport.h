#pragma once

#include "metrics/TransportResult.h"

#include <ostream>
#include <string>
#include <vector>

namespace pigeon::metrics {

// Writes results side by side for a person to read: one column per
// transport, one row per metric with its unit, numbers right-aligned, an
// unknown value as "n/a". A row that is n/a for every transport (say
// retransmits in a UDP-only run) is left out. Rows come in groups under a
// heading (delivery, latency, jitter, throughput, run, the transport's own
// counters, the link's); in echo mode the latency and jitter rows say which
// are one-way and which round trip. Under the table: a legend, a WARNING
// for a sender that fell behind its schedule, and with `explain` one line
// per row saying what it means (docs/results.md).
//
//   metric                 udp       tcp
//   ---------------------  --------  --------
//   delivery
//     sent (msgs)          1000      1000
//   latency
//     latency p50 (us)     21.4      25.0
class TableReport {
 public:
  struct Options {
    bool explain = false;
  };

  static void write(std::ostream& out, const std::vector<TransportResult>& results,
                    const Options& options);
  static void write(std::ostream& out, const std::vector<TransportResult>& results) {
    write(out, results, Options{});
  }
  static std::string toTable(const std::vector<TransportResult>& results, const Options& options);
  static std::string toTable(const std::vector<TransportResult>& results) {
    return toTable(results, Options{});
  }
};

}  // namespace pigeon::metrics
