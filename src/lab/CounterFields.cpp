#include "lab/CounterFields.h"

#include <cstdio>
#include <sstream>

namespace pigeon::lab {

namespace {

struct Named {
  const char* name;
  const ProtocolCounters& counters;
};

std::string milliseconds(std::int64_t ns) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.3fms", static_cast<double>(ns) / 1e6);
  return buffer;
}

}  // namespace

std::string describe(const DirectionCounters& c) {
  std::ostringstream out;
  bool any = false;
  for (const Named& p : {Named{"tcp", c.tcp}, Named{"udp", c.udp}, Named{"other", c.other}}) {
    if (p.counters.seen == 0) continue;
    out << (any ? "; " : "") << p.name << ": seen=" << p.counters.seen
        << " dropped=" << p.counters.droppedByModel << " queue-drops=" << p.counters.droppedByQueue
        << " duplicated=" << p.counters.duplicated << " corrupted=" << p.counters.corrupted
        << " reordered=" << p.counters.reordered;
    if (p.counters.heldBack) out << " held-back=" << p.counters.heldBack;
    if (p.counters.droppedByBacklog) out << " backlog-drops=" << p.counters.droppedByBacklog;
    any = true;
  }
  if (!any) return "nothing seen";
  out << "; delay p50=" << milliseconds(c.delayP50Ns) << " p99=" << milliseconds(c.delayP99Ns)
      << "; late p99=" << milliseconds(c.lateP99Ns);
  return out.str();
}

std::vector<std::pair<std::string, std::uint64_t>> counterFields(const DirectionCounters& c) {
  std::vector<std::pair<std::string, std::uint64_t>> fields;
  for (const Named& p : {Named{"tcp", c.tcp}, Named{"udp", c.udp}, Named{"other", c.other}}) {
    if (p.counters.seen == 0) continue;
    const std::string n = p.name;
    fields.emplace_back(n + "_seen", p.counters.seen);
    fields.emplace_back(n + "_dropped", p.counters.droppedByModel);
    // The rarer ones only when they happened, so a table stays readable.
    const auto rare = [&](const char* name, std::uint64_t value) {
      if (value) fields.emplace_back(n + name, value);
    };
    rare("_queue_drops", p.counters.droppedByQueue + p.counters.droppedByBacklog);
    rare("_duplicated", p.counters.duplicated);
    rare("_corrupted", p.counters.corrupted);
    rare("_reordered", p.counters.reordered);
    rare("_held_back", p.counters.heldBack);
  }
  fields.emplace_back("delay_p50_us", static_cast<std::uint64_t>(c.delayP50Ns / 1000));
  fields.emplace_back("delay_p99_us", static_cast<std::uint64_t>(c.delayP99Ns / 1000));
  fields.emplace_back("late_p99_us", static_cast<std::uint64_t>(c.lateP99Ns / 1000));
  return fields;
}

}  // namespace pigeon::lab
