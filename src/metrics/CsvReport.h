#pragma once

#include "metrics/TransportResult.h"

#include <ostream>
#include <string>
#include <vector>

namespace pigeon::metrics {

// Writes results as CSV (RFC 4180): a header row of the JSON names, nested
// objects flattened (latency_us_p50, rtt_us_max, counters_<name>), then one
// row per transport. null is an empty field; booleans are true/false;
// numbers are plain decimals; a field with a comma, quote or line break is
// quoted. Lines end in CRLF, as RFC 4180 asks.
class CsvReport {
 public:
  static void write(std::ostream& out, const std::vector<TransportResult>& results);
  static std::string toCsv(const std::vector<TransportResult>& results);
};

}  // namespace pigeon::metrics
