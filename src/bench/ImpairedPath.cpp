#include "bench/ImpairedPath.h"

#include "transport/SocketStats.h"

namespace pigeon::bench {

ImpairedPath::ImpairedPath(const link::LinkSpec& spec, const Poco::Net::SocketAddress& target,
                           int bufferBytes)
    : relay_(spec, Poco::Net::SocketAddress("127.0.0.1", 0), target) {
  for (int fd : {relay_.clientSocketHandle(), relay_.targetSocketHandle()}) {
    transport::enlargeReceiveBuffer(fd, bufferBytes);
  }
  dropsAtStart_ = socketDrops();
  relay_.start();
}

void ImpairedPath::addFacts(metrics::TransportResult& result, bool perDirection) {
  // Not stop(): it closes the sockets, and their drops could not be read.
  relay_.stopForwarding();
  const auto up = relay_.upCounters();
  const auto down = relay_.downCounters();
  // Messages apart from control frames (the final count and its answer,
  // rudp's handshake and acknowledgements): a lost control frame is no
  // lost message, and is sent again.
  result.counters["link_dropped"] = up.dataDropped() + down.dataDropped();
  if (perDirection) {
    result.counters["link_dropped_up"] = up.dataDropped();
    result.counters["link_dropped_down"] = down.dataDropped();
  }
  result.counters["link_control_dropped"] = up.controlDropped + down.controlDropped;
  result.counters["link_duplicated"] = up.model.duplicated + down.model.duplicated;
  result.counters["link_corrupted"] = up.model.corrupted + down.model.corrupted;
  result.counters["link_reordered"] = up.reordered + down.reordered;
  result.counters["relay_overflow"] = up.dataOverflow() + down.dataOverflow();
  const std::uint64_t controlOverflow =
      up.controlOverflow + up.controlSendErrors + down.controlOverflow + down.controlSendErrors;
  if (controlOverflow > 0) result.counters["relay_control_overflow"] = controlOverflow;
  // Copies sent after the receiver had closed (a final count sent again).
  if (up.unreachable > 0) result.counters["relay_target_unreachable"] = up.unreachable;
  result.counters["relay_socket_drops"] = socketDrops() - dropsAtStart_;
}

std::uint64_t ImpairedPath::socketDrops() const {
  return transport::socketDrops(relay_.clientSocketHandle()).value_or(0) +
         transport::socketDrops(relay_.targetSocketHandle()).value_or(0);
}

}  // namespace pigeon::bench
