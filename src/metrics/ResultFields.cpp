#include "metrics/ResultFields.h"

#include <set>
#include <string_view>
#include <utility>

namespace pigeon::metrics {

namespace {

// kRowMeanings: docs/results.md's "What each row means", read by the build.
#include "metrics/RowMeanings.inc"

template <typename T>
FieldValue orNull(const std::optional<T>& value) {
  if (!value) return std::monostate{};
  return FieldValue{*value};
}

void addSummary(std::vector<ResultField>& out, const std::string& name, const std::string& label,
                const std::optional<LatencySummary>& s, FieldGroup group,
                const std::string& echoLabel = "") {
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
    out.push_back({name + "_" + key, label + " " + shown, "us", 1, value, group, name,
                   echoLabel.empty() ? "" : echoLabel + " " + shown});
  }
}

// Where a counter belongs in the table, by its name.
FieldGroup counterGroup(const std::string& name) {
  const auto starts = [&](const char* prefix) { return name.rfind(prefix, 0) == 0; };
  if (starts("link_") || starts("relay_") || starts("lab_")) return FieldGroup::kLink;
  if (name == "malformed" || name == "too_old" || name == "implausible_seq" ||
      name == "loss_direction_unknown" || starts("bulk_")) {
    return FieldGroup::kDelivery;
  }
  if (name == "size_bytes" || starts("send_slip_") || name == "final_count_unacknowledged") {
    return FieldGroup::kRun;
  }
  return FieldGroup::kTransport;  // rudp's and any other transport's own
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
  using G = FieldGroup;
  std::vector<ResultField> f;
  const auto add = [&f](std::string name, std::string label, std::string unit, int decimals,
                        FieldValue value, G group, std::string echoLabel = "") {
    std::string key = name;
    f.push_back({std::move(name), std::move(label), std::move(unit), decimals, std::move(value),
                 group, std::move(key), std::move(echoLabel)});
  };
  // The CSV's column order: never changed, new fields go at the end.
  add("transport", "transport", "", 0, r.transport, G::kStatus);
  add("error", "error", "", 0, orNull(r.error), G::kStatus);
  add("sent", "sent", "msgs", 0, r.sent, G::kDelivery);
  add("delivered", "delivered", "msgs", 0, r.delivered, G::kDelivery);
  add("lost", "lost", "msgs", 0, r.lost, G::kDelivery);
  add("corrupted", "corrupted", "msgs", 0, orNull(r.corrupted), G::kDelivery);
  add("duplicates", "duplicates", "msgs", 0, r.duplicates, G::kDelivery);
  add("reordered", "reordered", "msgs", 0, r.reordered, G::kDelivery, "reordered round trip");
  add("reorder_extent", "reorder extent", "seqs", 0, r.reorderExtent, G::kDelivery,
      "reorder extent round trip");
  add("late", "late", "msgs", 0, orNull(r.late), G::kDelivery);
  addSummary(f, "latency_us", "latency", r.latencyUs, G::kLatency, "outbound latency");
  add("jitter_us", "jitter", "us", 1, orNull(r.jitterUs), G::kJitter, "outbound jitter");
  add("ipdv_us", "ipdv mean |d|", "us", 1, orNull(r.ipdvUs), G::kJitter,
      "ipdv round trip mean |d|");
  add("ipdv_p99_us", "ipdv p99 |d|", "us", 1, orNull(r.ipdvP99Us), G::kJitter,
      "ipdv round trip p99 |d|");
  add("throughput_mbps", "throughput", "Mbit/s", 2, r.throughputMbps, G::kThroughput);
  add("goodput_mbps", "goodput", "Mbit/s", 2, r.goodputMbps, G::kThroughput);
  add("socket_drops", "socket drops", "msgs", 0, orNull(r.socketDrops), G::kDelivery);
  add("elapsed_s", "elapsed", "s", 3, r.elapsedS, G::kThroughput);
  add("delivered_per_s", "delivered rate", "msgs/s", 0, r.deliveredPerS, G::kThroughput);
  add("retransmits", "retransmits", "", 0, orNull(r.retransmits), G::kTransport);
  addSummary(f, "rtt_us", "rtt", r.rttUs, G::kLatency, "round trip");
  add("congestion_control", "congestion control", "", 0, orNull(r.congestionControl),
      G::kTransport);
  add("met_impaired_link", "met impaired link", "", 0, orNull(r.metImpairedLink), G::kLink);
  add("lost_outbound", "lost outbound", "msgs", 0, orNull(r.lostOutbound), G::kDelivery);
  add("lost_return", "lost return", "msgs", 0, orNull(r.lostReturn), G::kDelivery);
  add("echo", "echo", "", 0, orNull(r.echo), G::kStatus);
  addSummary(f, "return_latency_us", "return latency", r.returnLatencyUs, G::kLatency);
  add("outbound_ipdv_us", "ipdv outbound mean |d|", "us", 1, orNull(r.outboundIpdvUs), G::kJitter);
  add("return_ipdv_us", "ipdv return mean |d|", "us", 1, orNull(r.returnIpdvUs), G::kJitter);
  add("echo_processing_us", "echo processing mean", "us", 1, orNull(r.echoProcessingUs),
      G::kLatency);
  add("behind_schedule", "behind schedule", "", 0, orNull(r.behindSchedule), G::kRun);
  for (const auto& name : counters) {
    const auto it = r.counters.find(name);
    FieldValue value = std::monostate{};
    if (it != r.counters.end()) value = it->second;
    const auto [label, unit] = counterLabel(name);
    f.push_back({"counters_" + name, label, unit, 0, value, counterGroup(name), name, ""});
  }
  if (r.error) {
    for (ResultField& field : f) {
      if (measuredOnlyByARun(field.name)) field.value = std::monostate{};
    }
  }
  return f;
}

std::string groupName(FieldGroup group) {
  switch (group) {
    case FieldGroup::kStatus:
      return "";
    case FieldGroup::kDelivery:
      return "delivery";
    case FieldGroup::kLatency:
      return "latency";
    case FieldGroup::kJitter:
      return "jitter";
    case FieldGroup::kThroughput:
      return "throughput";
    case FieldGroup::kRun:
      return "run";
    case FieldGroup::kTransport:
      return "transport's own counters";
    case FieldGroup::kLink:
      return "link";
  }
  return "";
}

std::string rowMeaning(const std::string& key) {
  for (const auto& [name, meaning] : kRowMeanings) {
    if (name == key) return std::string(meaning);
  }
  for (const auto& [name, meaning] : kRowMeanings) {
    if (name.size() > 1 && name.back() == '*' &&
        key.compare(0, name.size() - 1, name.substr(0, name.size() - 1)) == 0) {
      return std::string(meaning);
    }
  }
  return "a counter of this run (docs/results.md)";
}

}  // namespace pigeon::metrics
