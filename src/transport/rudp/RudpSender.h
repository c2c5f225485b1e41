#pragma once

#include "transport/rudp/DropReason.h"
#include "transport/rudp/RttEstimator.h"
#include "transport/rudp/RudpCounters.h"
#include "transport/rudp/RudpMessage.h"
#include "transport/rudp/RudpOptions.h"
#include "transport/rudp/RudpPackets.h"
#include "transport/rudp/SequenceSpace.h"

#include <deque>
#include <functional>
#include <map>
#include <vector>

namespace pigeon::transport::rudp {

// The sending half of a connection: send window, retransmission and loss
// detection. No socket, no clock: time comes in, datagrams go out through
// the transmit callback. Not thread safe.
//
// Every transmission (first or retransmission) gets a new transmission id,
// and acks echo the id of the datagram that caused them. From that:
//  - fast retransmit (RFC 9002 6.1): a message is lost once a transmission
//    sent `reorderThresholdPackets` after its last one is known to have
//    arrived (packet threshold: a single reorder resends nothing), or once
//    any later transmission arrived and 9/8 max(SRTT, latest RTT) have
//    passed since it was sent (time threshold, on a loss timer);
//  - spurious retransmissions (Eifel-like, RFC 3522): an echo of an earlier
//    transmission of a retransmitted message proves the later ones were
//    not needed; each such later transmission counts once. A spurious fast
//    retransmission shows how far the network reorders, and (adaptive
//    reordering) the threshold rises to that;
//  - RTT samples only from messages transmitted once (Karn's rule).
// Timers: selective repeat times each message; go-back-n and stop-and-wait
// run one timer for the oldest message (RFC 6298 5.1-5.3) and resend all
// in flight when it expires. An expiry doubles the RTO, at most once per
// round of transmissions (messages sent before the last backoff expiring
// do not double it again).
// Probe timeout (RFC 9002 6.2, in the spirit of RFC 8985's tail-loss probe):
// once there is an RTT sample, when a PTO (SRTT + max(G, 4 RTTVAR)) has
// passed since the last transmission and since the last ack of new data,
// with messages unacknowledged and no loss timer armed, the oldest of them
// is sent again as a probe, one datagram. Its ack repairs a tail loss (no
// later transmission arrives to trigger fast retransmit) in about two round
// trips instead of the RTO's 200 ms floor, and lets loss detection find
// the rest. Consecutive probes double the PTO until an ack of new data; a
// late-scheduled sender sends one probe, not the whole window, so a stall
// does not cascade into timeouts.
class RudpSender {
 public:
  // One message in flight, until cumulatively acknowledged.
  struct Outstanding {
    std::uint64_t index = 0;
    wire::Header header;  // the user's; sendTimeNs filled in if it was 0
    wire::Bytes payload;  // freed once acknowledged
    std::int64_t firstSendNs = 0;
    std::int64_t lastSendNs = 0;
    std::int64_t deadlineNs = kNever;          // selective repeat's per-message timer
    std::vector<std::uint64_t> transmissions;  // ids, oldest first
    std::uint32_t spuriousCounted = 0;
    std::uint64_t lossDistance = 0;  // how far behind it was when declared lost
    bool acked = false;
    bool rttSampled = false;
  };

  using TransmitData = std::function<void(const Outstanding& message, std::uint64_t wireSequence,
                                          std::uint64_t transmissionId)>;
  using AckedHandler = std::function<void(const AckedMessage&)>;

  RudpSender(const RudpOptions& options, ArqScheme arq, SequenceSpace space,
             std::uint32_t peerWindow, RudpCounters& counters, TransmitData transmit);

  void setAckedHandler(AckedHandler handler) { onAcked_ = std::move(handler); }

  // Room in both the send window and the peer's receive window.
  bool canSend() const;
  // The peer's window, not ours, is what stops sending.
  bool peerWindowClosed() const;
  // How many new messages both windows take now (canSend() is room > 0),
  // and the room worth waking a blocked writer for: an eighth of the
  // smaller window, so a bulk writer sends in bursts rather than one
  // message per ack.
  std::uint64_t sendRoom() const;
  std::uint64_t wakeRoom() const;

  // Sends a new message at once; call only when canSend(). Returns its index.
  std::uint64_t send(const wire::Header& header, wire::ByteSpan payload, std::int64_t nowNs);

  // Applies an ack. An ack that acknowledges what was never sent is
  // refused whole (nothing changes) with kAckOutOfRange.
  DropReason onAck(const AckPacket& ack, std::int64_t nowNs);

  // Retransmits what timed out by `nowNs`, and sends a probe when the
  // probe timeout has passed.
  void update(std::int64_t nowNs);
  // When the next probe is due; kNever when none would be sent.
  std::int64_t probeDeadlineNs() const;
  std::int64_t nextTimeoutNs() const;

  bool allAcked() const { return inFlight_.empty(); }
  std::size_t inFlight() const { return inFlight_.size(); }
  std::uint64_t nextIndex() const { return nextIndex_; }
  std::uint64_t nextWireSequence() const { return space_.toWire(nextIndex_); }
  std::uint64_t reorderThreshold() const { return reorderThreshold_; }
  RttEstimator& rtt() { return rtt_; }
  const RttEstimator& rtt() const { return rtt_; }

 private:
  struct History {  // a retransmitted message after it left the window
    std::vector<std::uint64_t> transmissions;
    std::uint32_t spuriousCounted = 0;
    std::uint64_t lossDistance = 0;
  };
  enum class Why { kTimeout, kFast };

  Outstanding* find(std::uint64_t index);
  void applyEcho(const AckPacket& ack, std::int64_t nowNs);
  void markAcked(Outstanding& m, std::int64_t nowNs);
  void retire(Outstanding& m);
  void detectLosses(std::int64_t nowNs);
  bool isLost(const Outstanding& m, std::int64_t nowNs, std::int64_t lossDelayNs);
  std::int64_t lossDelayNs() const;
  void retransmit(Outstanding& m, std::int64_t nowNs, Why why);
  void transmitNew(Outstanding& m, std::int64_t nowNs);
  void restartTimer(std::int64_t nowNs);
  void expireTimers(std::int64_t nowNs);  // the RTO (RFC 6298)
  void countSpurious(const std::vector<std::uint64_t>& transmissions, std::uint64_t arrived,
                     std::uint32_t& counted, std::uint64_t lossDistance);

  RudpOptions options_;
  ArqScheme arq_;
  SequenceSpace space_;
  RudpCounters& counters_;
  TransmitData transmit_;
  AckedHandler onAcked_;
  RttEstimator rtt_;
  std::uint32_t sendWindow_;
  std::uint64_t reorderThreshold_;

  std::deque<Outstanding> inFlight_;  // indices [unacked_, nextIndex_)
  std::uint64_t unacked_ = 0;         // oldest index not cumulatively acknowledged
  std::uint64_t nextIndex_ = 0;
  std::uint64_t peerRightEdge_;  // first index the peer's window does not take
  std::uint32_t peerWindow_;     // as last advertised
  std::uint64_t lastAckCumulative_ = 0;
  std::uint64_t lastTransmission_ = 0;
  std::uint64_t largestArrived_ = 0;  // highest transmission id known to have arrived
  static constexpr std::uint64_t kUnbounded = UINT64_MAX;
  std::uint64_t knownUpTo_ = kUnbounded;   // first index the last ack's SACK could not cover
  std::int64_t timerDeadlineNs_ = kNever;  // go-back-n, stop-and-wait
  std::int64_t lossTimerNs_ = kNever;      // time threshold
  std::int64_t lastBackoffNs_ = INT64_MIN;
  std::int64_t lastTransmitNs_ = INT64_MIN;   // any data transmission
  std::int64_t lastNewAckNs_ = INT64_MIN;     // an ack that acknowledged a message
  int probes_ = 0;                            // since the last ack of new data
  std::map<std::uint64_t, History> history_;  // bounded; for late echoes
};

}  // namespace pigeon::transport::rudp
