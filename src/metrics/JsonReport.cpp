#include "metrics/JsonReport.h"

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Array.h>

#include <optional>

namespace pigeon::metrics {

namespace {

using Poco::JSON::Object;

Object::Ptr newObject() { return new Object(Poco::JSON_PRESERVE_KEY_ORDER); }

template <typename T>
Poco::Dynamic::Var orNull(const std::optional<T>& value) {
  if (!value) return {};
  return *value;
}

Poco::Dynamic::Var summary(const std::optional<LatencySummary>& s) {
  if (!s) return {};
  Object::Ptr o = newObject();
  o->set("min", s->minUs);
  o->set("p50", s->p50Us);
  o->set("p90", s->p90Us);
  o->set("p99", s->p99Us);
  o->set("p999", s->p999Us);
  o->set("max", s->maxUs);
  o->set("mean", s->meanUs);
  return o;
}

}  // namespace

Object::Ptr JsonReport::toJson(const TransportResult& r) {
  Object::Ptr o = newObject();
  o->set("transport", r.transport);
  o->set("error", orNull(r.error));
  o->set("sent", r.sent);
  o->set("delivered", r.delivered);
  o->set("lost", r.lost);
  o->set("corrupted", orNull(r.corrupted));
  o->set("duplicates", r.duplicates);
  o->set("reordered", r.reordered);
  o->set("reorder_extent", r.reorderExtent);
  o->set("late", orNull(r.late));
  o->set("latency_us", summary(r.latencyUs));
  o->set("jitter_us", orNull(r.jitterUs));
  o->set("ipdv_us", orNull(r.ipdvUs));
  o->set("ipdv_p99_us", orNull(r.ipdvP99Us));
  o->set("throughput_mbps", r.throughputMbps);
  o->set("goodput_mbps", r.goodputMbps);
  o->set("socket_drops", orNull(r.socketDrops));
  o->set("elapsed_s", r.elapsedS);
  o->set("delivered_per_s", r.deliveredPerS);
  o->set("retransmits", orNull(r.retransmits));
  o->set("rtt_us", summary(r.rttUs));
  o->set("congestion_control", orNull(r.congestionControl));
  Object::Ptr counters = newObject();
  for (const auto& [name, value] : r.counters) counters->set(name, value);
  o->set("counters", counters);
  o->set("met_impaired_link", orNull(r.metImpairedLink));
  o->set("lost_outbound", orNull(r.lostOutbound));
  o->set("lost_return", orNull(r.lostReturn));
  o->set("echo", orNull(r.echo));
  o->set("return_latency_us", summary(r.returnLatencyUs));
  o->set("outbound_ipdv_us", orNull(r.outboundIpdvUs));
  o->set("return_ipdv_us", orNull(r.returnIpdvUs));
  o->set("echo_processing_us", orNull(r.echoProcessingUs));
  o->set("behind_schedule", orNull(r.behindSchedule));
  if (r.error) {
    for (const std::string& key : o->getNames()) {
      if (measuredOnlyByARun(key)) o->set(key, Poco::Dynamic::Var());
    }
  }
  return o;
}

Object::Ptr JsonReport::toJson(const RunInfo& run, const std::vector<TransportResult>& results) {
  Object::Ptr o = newObject();
  o->set("pigeon_version", run.version);
  o->set("host", run.host);
  o->set("timestamp", run.timestamp);
  Object::Ptr settings = newObject();
  for (const auto& [name, value] : run.settings) settings->set(name, value);
  o->set("settings", settings);
  Poco::JSON::Array::Ptr array = new Poco::JSON::Array;
  for (const auto& r : results) array->add(toJson(r));
  o->set("results", array);
  return o;
}

void JsonReport::write(std::ostream& out, const RunInfo& run,
                       const std::vector<TransportResult>& results, unsigned indent) {
  toJson(run, results)->stringify(out, indent);
  out << '\n';
}

}  // namespace pigeon::metrics
