#pragma once

#include "metrics/TransportResult.h"

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace pigeon::metrics {

// A TransportResult flattened into named fields, in report order, so the CSV
// and table writers agree on names, units and order. Nested objects are
// flattened with an underscore: latency_us.p50 becomes latency_us_p50 and
// counters.datagrams_sent becomes counters_datagrams_sent.
using FieldValue = std::variant<std::monostate, std::uint64_t, double, bool, std::string>;

struct ResultField {
  std::string name;   // CSV column, e.g. "latency_us_p50"
  std::string label;  // table row, e.g. "latency p50"
  std::string unit;   // e.g. "us"; empty for counts
  int decimals = 0;   // for a double in the table
  FieldValue value;   // std::monostate: null
};

// The union of counter names over `results`, sorted.
std::vector<std::string> counterNames(const std::vector<TransportResult>& results);

// The fields of one result; one field per name in `counters` (null where
// this result lacks it), so every result of a report has the same fields.
std::vector<ResultField> resultFields(const TransportResult& result,
                                      const std::vector<std::string>& counters);

}  // namespace pigeon::metrics
