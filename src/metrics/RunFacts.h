#pragma once

#include "metrics/LatencySummary.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace pigeon::metrics {

// What goes into a TransportResult besides the receiver's StreamStats: facts
// of the run from both ends, the transport and the sockets (the receiving
// socket's drops, the receiver's CRC and malformed counts, the sender's
// retransmits, the reflector's count). Unknown stays nullopt and is reported
// as null. A plain value.
struct RunFacts {
  // Datagrams the receiving socket dropped for a full buffer (SO_RXQ_OVFL),
  // where the kernel says it.
  std::optional<std::uint64_t> socketDrops;
  // Datagrams the receiver dropped because their CRC-32 failed (changed on
  // the way), and those it dropped as malformed for any other reason (not a
  // frame, a bad header field, a wrong length). Neither is ever delivered.
  std::optional<std::uint64_t> corrupted;
  std::optional<std::uint64_t> malformed;
  // Segments or messages the transport sent again (TCP_INFO, rudp).
  std::optional<std::uint64_t> retransmits;
  // A round-trip summary measured elsewhere (e.g. TCP_INFO); ignored when
  // `roundTrip` is set, since the stream's own histogram is then the RTT.
  std::optional<LatencySummary> rttUs;
  std::optional<std::string> congestionControl;  // TCP: "cubic", "bbr", ...
  // Extra named counters of a transport (rudp: datagrams_sent, ...).
  std::map<std::string, std::uint64_t> counters;
  // The run went through an impaired link (link relay or lab); unknown
  // (nullopt) for a --target whose path the bench was not told of.
  std::optional<bool> metImpairedLink = false;
  // Echo mode: the StreamStats saw the replies, timed against the original
  // send time, so its latency is a round trip and goes to `rtt_us`.
  bool roundTrip = false;
  // Echo mode: unique probes the reflector says it received; splits loss
  // into outbound (sent - this) and return (this - delivered).
  std::optional<std::uint64_t> reflectorReceived;
};

}  // namespace pigeon::metrics
