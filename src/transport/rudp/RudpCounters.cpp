#include "transport/rudp/RudpCounters.h"

namespace pigeon::transport::rudp {

std::vector<std::pair<std::string_view, std::int64_t>> counterFields(const RudpCounters& c) {
  auto u = [](std::uint64_t v) { return static_cast<std::int64_t>(v); };
  return {
      {"datagrams_sent", u(c.datagramsSent)},
      {"datagrams_received", u(c.datagramsReceived)},
      {"messages_sent", u(c.messagesSent)},
      {"messages_delivered", u(c.messagesDelivered)},
      {"data_sent", u(c.dataSent)},
      {"acks_sent", u(c.acksSent)},
      {"retransmits_timeout", u(c.retransmitsTimeout)},
      {"retransmits_fast", u(c.retransmitsFast)},
      {"spurious_retransmits", u(c.spuriousRetransmits)},
      {"timeouts", u(c.timeouts)},
      {"retransmits_probe", u(c.retransmitsProbe)},
      {"probe_timeouts", u(c.probeTimeouts)},
      {"duplicates_discarded", u(c.duplicatesDiscarded)},
      {"out_of_order_discarded", u(c.outOfOrderDiscarded)},
      {"out_of_window_discarded", u(c.outOfWindowDiscarded)},
      {"corrupt_dropped", u(c.corruptDropped)},
      {"malformed_dropped", u(c.malformedDropped)},
      {"strangers_dropped", u(c.strangersDropped)},
      {"srtt_us", c.srttUs},
      {"rttvar_us", c.rttvarUs},
      {"rto_us", c.rtoUs},
      {"reorder_threshold", c.reorderThreshold},
  };
}

}  // namespace pigeon::transport::rudp
