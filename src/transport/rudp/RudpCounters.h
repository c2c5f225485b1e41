#pragma once

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace pigeon::transport::rudp {

// What one rudp endpoint did, for a student to read after a run. Plain
// value; a snapshot, not live. Retransmission counters count datagrams.
struct RudpCounters {
  std::uint64_t datagramsSent = 0;      // every datagram: data, acks, control
  std::uint64_t datagramsReceived = 0;  // every datagram taken from the socket
  std::uint64_t messagesSent = 0;       // distinct messages given to send
  std::uint64_t messagesDelivered = 0;  // distinct messages handed to the application
  std::uint64_t dataSent = 0;           // data datagrams, retransmissions included
  std::uint64_t acksSent = 0;
  std::uint64_t retransmitsTimeout = 0;    // resent because the RTO expired
  std::uint64_t retransmitsFast = 0;       // resent because later messages were acknowledged
  std::uint64_t spuriousRetransmits = 0;   // resent although an earlier copy had arrived
  std::uint64_t timeouts = 0;              // RTO expiries (each doubles the RTO)
  std::uint64_t retransmitsProbe = 0;      // resent as a probe when the probe timeout passed
  std::uint64_t probeTimeouts = 0;         // probe timeout expiries (each doubles the next PTO)
  std::uint64_t duplicatesDiscarded = 0;   // data already received, dropped (and acked again)
  std::uint64_t outOfOrderDiscarded = 0;   // go-back-n / stop-and-wait: data after a gap
  std::uint64_t outOfWindowDiscarded = 0;  // data beyond the receive window
  std::uint64_t corruptDropped = 0;        // CRC-32 mismatch
  std::uint64_t malformedDropped = 0;      // not a valid rudp datagram, for any other reason
  std::uint64_t strangersDropped = 0;      // from a source other than the connected peer
  std::int64_t srttUs = 0;                 // smoothed round-trip time (0: no sample yet)
  std::int64_t rttvarUs = 0;
  std::int64_t rtoUs = 0;             // current retransmission timeout, backoff included
  std::int64_t reorderThreshold = 0;  // current fast-retransmit threshold, in packets
};

// The counters as (snake_case name, value) in a fixed order, for tables and
// the bench JSON: datagrams_sent, ..., srtt_us, rto_us.
std::vector<std::pair<std::string_view, std::int64_t>> counterFields(const RudpCounters& c);

}  // namespace pigeon::transport::rudp
