#include "metrics/ResultFields.h"

#include <set>

namespace pigeon::metrics {

namespace {

template <typename T>
FieldValue orNull(const std::optional<T>& value) {
  if (!value) return std::monostate{};
  return FieldValue{*value};
}

void addSummary(std::vector<ResultField>& out, const std::string& name, const std::string& label,
                const std::optional<LatencySummary>& s) {
  struct Part {
    const char* key;
    double LatencySummary::*member;
  };
  static constexpr Part kParts[] = {
      {"min", &LatencySummary::minUs},   {"p50", &LatencySummary::p50Us},
      {"p90", &LatencySummary::p90Us},   {"p99", &LatencySummary::p99Us},
      {"p999", &LatencySummary::p999Us}, {"max", &LatencySummary::maxUs},
      {"mean", &LatencySummary::meanUs},
  };
  for (const Part& part : kParts) {
    const std::string key = part.key;
    FieldValue value = std::monostate{};
    if (s) value = (*s).*part.member;
    const std::string shown = key == "p999" ? "p99.9" : key;
    out.push_back({name + "_" + key, label + " " + shown, "us", 1, value});
  }
}

// "send_slip_p99_us" -> {"send slip p99", "us"}: a counter's name read as
// words, its unit taken from the suffix every counter name carries.
std::pair<std::string, std::string> counterLabel(const std::string& name) {
  std::string words = name;
  std::string unit;
  for (const char* suffix : {"_us", "_bytes", "_ms"}) {
    const std::string s = suffix;
    if (words.size() > s.size() && words.compare(words.size() - s.size(), s.size(), s) == 0) {
      words.resize(words.size() - s.size());
      unit = s.substr(1);
      break;
    }
  }
  for (char& c : words) {
    if (c == '_') c = ' ';
  }
  return {words, unit};
}

}  // namespace

std::vector<std::string> counterNames(const std::vector<TransportResult>& results) {
  std::set<std::string> names;
  for (const auto& r : results) {
    for (const auto& [name, value] : r.counters) names.insert(name);
  }
  return {names.begin(), names.end()};
}

std::vector<ResultField> resultFields(const TransportResult& r,
                                      const std::vector<std::string>& counters) {
  std::vector<ResultField> f;
  f.push_back({"transport", "transport", "", 0, r.transport});
  f.push_back({"error", "error", "", 0, orNull(r.error)});
  f.push_back({"sent", "sent", "msgs", 0, r.sent});
  f.push_back({"delivered", "delivered", "msgs", 0, r.delivered});
  f.push_back({"lost", "lost", "msgs", 0, r.lost});
  f.push_back({"corrupted", "corrupted", "msgs", 0, orNull(r.corrupted)});
  f.push_back({"duplicates", "duplicates", "msgs", 0, r.duplicates});
  f.push_back({"reordered", "reordered", "msgs", 0, r.reordered});
  f.push_back({"reorder_extent", "reorder extent", "seqs", 0, r.reorderExtent});
  f.push_back({"late", "late", "msgs", 0, orNull(r.late)});
  addSummary(f, "latency_us", "latency", r.latencyUs);
  f.push_back({"jitter_us", "jitter", "us", 1, orNull(r.jitterUs)});
  f.push_back({"ipdv_us", "ipdv mean |d|", "us", 1, orNull(r.ipdvUs)});
  f.push_back({"ipdv_p99_us", "ipdv p99 |d|", "us", 1, orNull(r.ipdvP99Us)});
  f.push_back({"throughput_mbps", "throughput", "Mbit/s", 2, r.throughputMbps});
  f.push_back({"goodput_mbps", "goodput", "Mbit/s", 2, r.goodputMbps});
  f.push_back({"socket_drops", "socket drops", "msgs", 0, orNull(r.socketDrops)});
  f.push_back({"elapsed_s", "elapsed", "s", 3, r.elapsedS});
  f.push_back({"delivered_per_s", "delivered rate", "msgs/s", 0, r.deliveredPerS});
  f.push_back({"retransmits", "retransmits", "", 0, orNull(r.retransmits)});
  addSummary(f, "rtt_us", "rtt", r.rttUs);
  f.push_back({"congestion_control", "congestion control", "", 0, orNull(r.congestionControl)});
  f.push_back({"met_impaired_link", "met impaired link", "", 0, r.metImpairedLink});
  f.push_back({"lost_outbound", "lost outbound", "msgs", 0, orNull(r.lostOutbound)});
  f.push_back({"lost_return", "lost return", "msgs", 0, orNull(r.lostReturn)});
  for (const auto& name : counters) {
    const auto it = r.counters.find(name);
    FieldValue value = std::monostate{};
    if (it != r.counters.end()) value = it->second;
    const auto [label, unit] = counterLabel(name);
    f.push_back({"counters_" + name, label, unit, 0, value});
  }
  return f;
}

}  // namespace pigeon::metrics
