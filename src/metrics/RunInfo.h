#pragma once

#include <map>
#include <string>

namespace pigeon::metrics {

// What a report says about the run as a whole, beside its results: the
// settings it ran with, the pigeon version, the host and when. A plain value.
struct RunInfo {
  std::map<std::string, std::string> settings;
  std::string version;
  std::string host;
  std::string timestamp;  // ISO 8601, UTC

  // This build's version (PIGEON_VERSION), this host's name and the time now.
  static RunInfo current(std::map<std::string, std::string> settings);
};

}  // namespace pigeon::metrics
