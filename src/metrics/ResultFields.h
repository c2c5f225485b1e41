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

// The table's groups, in the order it shows them (docs/results.md "Table").
enum class FieldGroup {
  kStatus,      // error
  kDelivery,    // what arrived: sent, delivered, lost, ...
  kLatency,     // delays: one-way, round trip
  kJitter,      // how the delay varies: jitter, IPDV
  kThroughput,  // bytes and messages per second
  kRun,         // the message size, the sender's schedule
  kTransport,   // the transport's own counters (TCP, rudp)
  kLink,        // the relay's or the lab's counters
};

std::string groupName(FieldGroup group);

struct ResultField {
  std::string name;   // CSV column, e.g. "latency_us_p50"
  std::string label;  // table row, e.g. "latency p50"
  std::string unit;   // e.g. "us"; empty for counts
  int decimals = 0;   // for a double in the table
  FieldValue value;   // std::monostate: null
  FieldGroup group = FieldGroup::kDelivery;
  std::string key;  // its line in docs/results.md "What each row means": "latency_us"
  // The label in echo mode where it differs (one-way vs round trip).
  std::string echoLabel;
};

// What the row of `key` means, in one line, from docs/results.md (read at
// build time); a key no line names gets a line pointing to the page.
std::string rowMeaning(const std::string& key);

// The union of counter names over `results`, sorted.
std::vector<std::string> counterNames(const std::vector<TransportResult>& results);

// The fields of one result; one field per name in `counters` (null where
// this result lacks it), so every result of a report has the same fields.
std::vector<ResultField> resultFields(const TransportResult& result,
                                      const std::vector<std::string>& counters);

}  // namespace pigeon::metrics
