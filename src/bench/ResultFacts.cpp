#include "bench/ResultFacts.h"

#include "transport/SocketStats.h"

#include <algorithm>
#include <cstdint>
#include <set>
#include <string_view>

namespace pigeon::bench {

using metrics::TransportResult;

namespace {

std::uint64_t toUs(std::int64_t ns) {
  return static_cast<std::uint64_t>(std::max<std::int64_t>(0, ns) / 1000);
}

// A sender whose 99th-percentile slip is above this fell behind its own
// schedule: the machine, not the network, shaped the traffic.
constexpr std::int64_t kBehindScheduleNs = 1'000'000;

}  // namespace

void addSlip(TransportResult& result, const metrics::LatencyHistogram& slip) {
  if (slip.count() == 0) return;
  result.counters["send_slip_p99_us"] = toUs(slip.percentile(99));
  result.counters["send_slip_max_us"] = toUs(slip.maxNs());
  result.behindSchedule = slip.percentile(99) > kBehindScheduleNs;
}

std::string echoKindName(PingPongClient::EchoKind kind) {
  switch (kind) {
    case PingPongClient::EchoKind::kPigeon:
      return "pigeon";
    case PingPongClient::EchoKind::kPlain:
      return "rfc862";
    case PingPongClient::EchoKind::kNone:
      break;
  }
  return "none";
}

void addRudpFacts(TransportResult& result, const transport::Transport& sender,
                  const std::optional<transport::rudp::RudpCounters>& receiver) {
  const auto sent = sender.reliabilityCounters();
  if (!sent) return;
  // The counters a student reads after a run (the per-message log has them
  // all, over time).
  static const std::set<std::string_view> kSenderSide = {"datagrams_sent",
                                                         "retransmits_timeout",
                                                         "retransmits_fast",
                                                         "retransmits_probe",
                                                         "spurious_retransmits",
                                                         "srtt_us",
                                                         "rto_us"};
  static const std::set<std::string_view> kReceiverSide = {"duplicates_discarded",
                                                           "corrupt_dropped"};
  const auto keep = [&](const transport::rudp::RudpCounters& counters,
                        const std::set<std::string_view>& names) {
    for (const auto& [name, value] : transport::rudp::counterFields(counters)) {
      if (names.count(name)) {
        result.counters[std::string(name)] =
            static_cast<std::uint64_t>(std::max<std::int64_t>(0, value));
      }
    }
  };
  keep(*sent, kSenderSide);
  if (receiver) keep(*receiver, kReceiverSide);
  result.retransmits = sent->retransmitsTimeout + sent->retransmitsFast + sent->retransmitsProbe;
}

void addTcpFacts(TransportResult& result, const transport::Transport& sender) {
  if (sender.kind() != transport::TransportKind::kTcp) return;
  result.retransmits = transport::tcpRetransmits(sender.nativeHandle());
  result.congestionControl = transport::tcpCongestionControl(sender.nativeHandle());
}

}  // namespace pigeon::bench
