#include "metrics/RunInfo.h"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Environment.h>
#include <Poco/Timestamp.h>

#include <utility>

#ifndef PIGEON_VERSION
#define PIGEON_VERSION "unknown"
#endif

namespace pigeon::metrics {

RunInfo RunInfo::current(std::map<std::string, std::string> settings) {
  RunInfo info;
  info.settings = std::move(settings);
  info.version = PIGEON_VERSION;
  info.host = Poco::Environment::nodeName();
  info.timestamp =
      Poco::DateTimeFormatter::format(Poco::Timestamp(), Poco::DateTimeFormat::ISO8601_FORMAT);
  return info;
}

}  // namespace pigeon::metrics
