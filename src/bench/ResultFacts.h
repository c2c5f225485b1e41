#pragma once

#include "bench/PingPongClient.h"
#include "metrics/LatencyHistogram.h"
#include "metrics/TransportResult.h"
#include "transport/Transport.h"
#include "transport/rudp/RudpCounters.h"

#include <optional>
#include <string>

namespace pigeon::bench {

// What a run learnt besides its stream statistics, put into its result:
// each from one source (the sender's schedule, rudp's counters, TCP_INFO).

// The sender's slip behind its schedule (send_slip_*), and behind_schedule.
void addSlip(metrics::TransportResult& result, const metrics::LatencyHistogram& slip);

// rudp's own counters: the sending side's (what it put on the wire, its
// timers) and, where given, the receiving side's (what it had to discard).
void addRudpFacts(metrics::TransportResult& result, const transport::Transport& sender,
                  const std::optional<transport::rudp::RudpCounters>& receiver);

// TCP's retransmits and congestion control, from the sending socket.
void addTcpFacts(metrics::TransportResult& result, const transport::Transport& sender);

// "pigeon", "rfc862" or "none", as the result's `echo` names it.
std::string echoKindName(PingPongClient::EchoKind kind);

}  // namespace pigeon::bench
