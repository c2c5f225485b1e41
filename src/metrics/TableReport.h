#pragma once

#include "metrics/TransportResult.h"

#include <ostream>
#include <string>
#include <vector>

namespace pigeon::metrics {

// Writes results side by side for a person to read: one column per
// transport, one row per metric with its unit, numbers right-aligned, an
// unknown value as "n/a". A row that is n/a for every transport (say
// retransmits in a UDP-only run) is left out.
//
//   metric               udp       tcp
//   -------------------  --------  --------
//   sent                 1000      1000
//   latency p50 (us)     21.4      25.0
class TableReport {
 public:
  static void write(std::ostream& out, const std::vector<TransportResult>& results);
  static std::string toTable(const std::vector<TransportResult>& results);
};

}  // namespace pigeon::metrics
