#pragma once

#include "metrics/RunInfo.h"
#include "metrics/TransportResult.h"

#include <Poco/JSON/Object.h>

#include <ostream>
#include <vector>

namespace pigeon::metrics {

// Writes a bench run as JSON (docs/results.md is the schema):
//   { "pigeon_version": "...", "host": "...", "timestamp": "...",
//     "settings": { name: value, ... },
//     "results": [ { "transport": "udp", "sent": ..., ... }, ... ] }
// Keys keep the order above; an unknown value is null.
class JsonReport {
 public:
  static Poco::JSON::Object::Ptr toJson(const RunInfo& run,
                                        const std::vector<TransportResult>& results);
  static Poco::JSON::Object::Ptr toJson(const TransportResult& result);

  // `indent` 0 writes one line.
  static void write(std::ostream& out, const RunInfo& run,
                    const std::vector<TransportResult>& results, unsigned indent = 2);
};

}  // namespace pigeon::metrics
