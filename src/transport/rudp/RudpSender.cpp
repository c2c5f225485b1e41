#include "transport/rudp/RudpSender.h"

#include <algorithm>

namespace pigeon::transport::rudp {

namespace {
constexpr std::size_t kHistoryLimit = 4096;
}

RudpSender::RudpSender(const RudpOptions& options, ArqScheme arq, SequenceSpace space,
                       std::uint32_t peerWindow, RudpCounters& counters, TransmitData transmit)
    : options_(options),
      arq_(arq),
      space_(space),
      counters_(counters),
      transmit_(std::move(transmit)),
      rtt_(options.initialRtoMs * kNsPerMs, options.minRtoMs * kNsPerMs,
           options.maxRtoMs * kNsPerMs, options.clockGranularityMs * kNsPerMs),
      sendWindow_(arq == ArqScheme::kStopAndWait
                      ? 1
                      : std::max<std::uint32_t>(1, options.sendWindowMessages)),
      reorderThreshold_(std::max<std::uint32_t>(1, options.reorderThresholdPackets)),
      peerRightEdge_(peerWindow),
      peerWindow_(peerWindow) {}

bool RudpSender::canSend() const {
  return nextIndex_ - unacked_ < sendWindow_ && nextIndex_ < peerRightEdge_;
}

std::uint64_t RudpSender::sendRoom() const {
  const std::uint64_t inWindow = nextIndex_ - unacked_;
  const std::uint64_t own = inWindow >= sendWindow_ ? 0 : sendWindow_ - inWindow;
  const std::uint64_t peer = nextIndex_ >= peerRightEdge_ ? 0 : peerRightEdge_ - nextIndex_;
  return std::min(own, peer);
}

std::uint64_t RudpSender::wakeRoom() const {
  return std::max<std::uint64_t>(1, std::min(sendWindow_, peerWindow_) / 8);
}

bool RudpSender::peerWindowClosed() const {
  return nextIndex_ - unacked_ < sendWindow_ && nextIndex_ >= peerRightEdge_;
}

std::uint64_t RudpSender::send(const wire::Header& header, wire::ByteSpan payload,
                               std::int64_t nowNs) {
  Outstanding& m = inFlight_.emplace_back();
  m.index = nextIndex_++;
  m.header = header;
  m.header.flags = 0;
  m.header.payloadLength = static_cast<std::uint32_t>(payload.size());
  if (m.header.sendTimeNs == 0) m.header.sendTimeNs = static_cast<std::uint64_t>(nowNs);
  m.payload.assign(payload.begin(), payload.end());
  m.firstSendNs = nowNs;
  ++counters_.messagesSent;
  transmitNew(m, nowNs);
  if (timerDeadlineNs_ == kNever) timerDeadlineNs_ = nowNs + rtt_.rtoNs();  // RFC 6298 5.1
  return m.index;
}

void RudpSender::transmitNew(Outstanding& m, std::int64_t nowNs) {
  const std::uint64_t id = ++lastTransmission_;
  m.transmissions.push_back(id);
  m.lastSendNs = nowNs;
  lastTransmitNs_ = nowNs;
  m.deadlineNs = nowNs + rtt_.rtoNs();
  ++counters_.dataSent;
  transmit_(m, space_.toWire(m.index), id);
}

void RudpSender::retransmit(Outstanding& m, std::int64_t nowNs, Why why) {
  ++(why == Why::kFast ? counters_.retransmitsFast : counters_.retransmitsTimeout);
  transmitNew(m, nowNs);
}

RudpSender::Outstanding* RudpSender::find(std::uint64_t index) {
  if (index < unacked_ || index >= nextIndex_) return nullptr;
  return &inFlight_[static_cast<std::size_t>(index - unacked_)];
}

DropReason RudpSender::onAck(const AckPacket& ack, std::int64_t nowNs) {
  // Check everything before changing anything.
  const std::uint64_t cumulative = space_.toIndex(ack.cumulative);
  if (cumulative > nextIndex_) return DropReason::kAckOutOfRange;
  for (const SackRange& r : ack.ranges) {
    if (std::uint64_t{r.startOffset} + r.length > nextIndex_ - cumulative) {
      return DropReason::kAckOutOfRange;
    }
  }
  if ((ack.flags & ackflags::kEcho) != 0) {
    if (space_.toIndex(ack.echoSequence) >= nextIndex_ || ack.echoTransmission == 0 ||
        ack.echoTransmission > lastTransmission_) {
      return DropReason::kAckOutOfRange;
    }
    applyEcho(ack, nowNs);  // before the messages it names may leave the window
  }

  for (const SackRange& r : ack.ranges) {
    const std::uint64_t end = cumulative + r.startOffset + r.length;
    for (std::uint64_t i = std::max(cumulative + r.startOffset, unacked_); i < end; ++i) {
      markAcked(inFlight_[static_cast<std::size_t>(i - unacked_)], nowNs);
    }
  }
  const bool newData = cumulative > unacked_;
  while (unacked_ < cumulative) {
    markAcked(inFlight_.front(), nowNs);
    retire(inFlight_.front());
    inFlight_.pop_front();
    ++unacked_;
  }
  if (cumulative >= lastAckCumulative_) {  // an older, reordered ack says nothing new
    lastAckCumulative_ = cumulative;
    peerRightEdge_ = cumulative + ack.window;
    peerWindow_ = ack.window;
    // An ack with as many SACK ranges as fit says nothing of the messages
    // above its last range: they may well have arrived.
    knownUpTo_ = kUnbounded;
    if (ack.ranges.size() >= kMaxSackRanges) {
      const SackRange& last = ack.ranges.back();
      knownUpTo_ = cumulative + last.startOffset + last.length;
    }
  }
  if (newData) restartTimer(nowNs);
  detectLosses(nowNs);
  return DropReason::kNone;
}

void RudpSender::applyEcho(const AckPacket& ack, std::int64_t nowNs) {
  const std::uint64_t index = space_.toIndex(ack.echoSequence);
  const std::uint64_t arrived = ack.echoTransmission;
  largestArrived_ = std::max(largestArrived_, arrived);
  const bool taken = (ack.flags & ackflags::kEchoDiscarded) == 0;
  if (Outstanding* m = find(index)) {
    if (m->transmissions.size() == 1 && m->transmissions[0] == arrived && !m->rttSampled) {
      m->rttSampled = true;  // Karn: only a message sent once gives a sample
      rtt_.addSample(nowNs - m->firstSendNs);
    }
    if (taken) countSpurious(m->transmissions, arrived, m->spuriousCounted, m->lossDistance);
  } else if (taken) {
    const auto it = history_.find(index);
    if (it != history_.end()) {
      History& h = it->second;
      countSpurious(h.transmissions, arrived, h.spuriousCounted, h.lossDistance);
    }
  }
}

void RudpSender::countSpurious(const std::vector<std::uint64_t>& transmissions,
                               std::uint64_t arrived, std::uint32_t& counted,
                               std::uint64_t lossDistance) {
  const auto it = std::find(transmissions.begin(), transmissions.end(), arrived);
  if (it == transmissions.end()) return;
  // Every transmission after the one that arrived was not needed.
  const auto later = static_cast<std::uint32_t>(transmissions.end() - it - 1);
  if (later <= counted) return;
  counters_.spuriousRetransmits += later - counted;
  counted = later;
  if (options_.adaptiveReordering && lossDistance > 0) {
    // It was reordered by at least lossDistance transmissions, not lost.
    const std::uint64_t ceiling =
        std::max<std::uint64_t>(reorderThreshold_, options_.maxReorderThresholdPackets);
    reorderThreshold_ = std::min(std::max(reorderThreshold_, lossDistance + 1), ceiling);
  }
}

void RudpSender::markAcked(Outstanding& m, std::int64_t nowNs) {
  if (m.acked) return;
  m.acked = true;
  lastNewAckNs_ = nowNs;
  probes_ = 0;
  // Whichever transmission arrived, it was not sent before the first.
  largestArrived_ = std::max(largestArrived_, m.transmissions.front());
  if (onAcked_) {
    onAcked_({m.header.streamId, m.header.sequence, m.header.sendTimeNs, nowNs,
              static_cast<std::uint32_t>(m.transmissions.size())});
  }
  m.payload.clear();
  m.payload.shrink_to_fit();
}

void RudpSender::retire(Outstanding& m) {
  if (m.transmissions.size() < 2) return;
  history_[m.index] = History{std::move(m.transmissions), m.spuriousCounted, m.lossDistance};
  while (history_.size() > kHistoryLimit) history_.erase(history_.begin());
}

void RudpSender::restartTimer(std::int64_t nowNs) {  // RFC 6298 5.2, 5.3
  timerDeadlineNs_ = inFlight_.empty() ? kNever : nowNs + rtt_.rtoNs();
}

std::int64_t RudpSender::lossDelayNs() const {  // RFC 9002 6.1.2
  const std::int64_t rttNs =
      rtt_.hasSample() ? std::max(rtt_.srttNs(), rtt_.latestNs()) : rtt_.rtoNs();
  return std::max(rttNs + rttNs / 8, options_.clockGranularityMs * kNsPerMs);
}

// Whether `m` (not acknowledged) is lost; if it may yet be, arms the loss
// timer for when the time threshold would say so.
bool RudpSender::isLost(const Outstanding& m, std::int64_t nowNs, std::int64_t lossDelayNs) {
  const std::uint64_t last = m.transmissions.back();
  if (last >= largestArrived_) return false;  // nothing sent after it has arrived
  // Above what the last ack could describe: not known to be missing. A
  // burst with many losses would otherwise resend, by the time threshold,
  // messages that arrived (seen as hundreds of duplicates after a stall).
  if (m.index >= knownUpTo_) return false;
  if (last + reorderThreshold_ <= largestArrived_) return true;
  if (nowNs - m.lastSendNs >= lossDelayNs) return true;
  lossTimerNs_ = std::min(lossTimerNs_, m.lastSendNs + lossDelayNs);
  return false;
}

void RudpSender::detectLosses(std::int64_t nowNs) {
  lossTimerNs_ = kNever;
  const std::int64_t delayNs = lossDelayNs();
  if (arq_ == ArqScheme::kSelectiveRepeat) {
    for (Outstanding& m : inFlight_) {
      // Transmission ids grow with the index among messages sent once, and
      // a resent message's ids are newer than its first: from the first
      // message sent once and not before largestArrived_, none can be lost.
      if (m.transmissions.size() == 1 && m.transmissions.front() >= largestArrived_) break;
      if (!m.acked && isLost(m, nowNs, delayNs)) {
        m.lossDistance = largestArrived_ - m.transmissions.back();
        retransmit(m, nowNs, Why::kFast);
      }
    }
    return;
  }
  // Go-back-n (and stop-and-wait, where it cannot happen): the oldest is
  // lost, so everything after it was discarded too; send them all again.
  if (inFlight_.empty() || !isLost(inFlight_.front(), nowNs, delayNs)) return;
  lossTimerNs_ = kNever;
  for (Outstanding& m : inFlight_) retransmit(m, nowNs, Why::kFast);
  restartTimer(nowNs);
}

std::int64_t RudpSender::probeDeadlineNs() const {
  if (!rtt_.hasSample() || lossTimerNs_ != kNever || inFlight_.empty()) return kNever;
  const std::int64_t maxNs = options_.maxRtoMs * kNsPerMs;
  std::int64_t ptoNs = rtt_.ptoNs();
  for (int i = 0; i < probes_ && ptoNs < maxNs; ++i) ptoNs *= 2;
  return std::max(lastTransmitNs_, lastNewAckNs_) + std::min(ptoNs, maxNs);
}

void RudpSender::update(std::int64_t nowNs) {
  if (nowNs >= lossTimerNs_) detectLosses(nowNs);
  expireTimers(nowNs);
  // After the RTO: a message it resent is a transmission, so no probe
  // follows in the same turn.
  if (nowNs < probeDeadlineNs()) return;
  const auto oldest = std::find_if(inFlight_.begin(), inFlight_.end(),
                                   [](const Outstanding& m) { return !m.acked; });
  if (oldest == inFlight_.end()) return;
  ++counters_.probeTimeouts;
  ++counters_.retransmitsProbe;
  ++probes_;
  transmitNew(*oldest, nowNs);
}

void RudpSender::expireTimers(std::int64_t nowNs) {
  if (arq_ == ArqScheme::kSelectiveRepeat) {
    bool backedOff = false;
    for (Outstanding& m : inFlight_) {
      if (m.acked || m.deadlineNs > nowNs) continue;
      if (!backedOff && m.lastSendNs >= lastBackoffNs_) {
        ++counters_.timeouts;
        rtt_.backOff();
        lastBackoffNs_ = nowNs;
        backedOff = true;
      }
      retransmit(m, nowNs, Why::kTimeout);
    }
    return;
  }
  if (timerDeadlineNs_ > nowNs || inFlight_.empty()) return;
  ++counters_.timeouts;
  rtt_.backOff();  // RFC 6298 5.5, then 5.4 and 5.6 for the whole window
  lastBackoffNs_ = nowNs;
  for (Outstanding& m : inFlight_) retransmit(m, nowNs, Why::kTimeout);
  restartTimer(nowNs);
}

std::int64_t RudpSender::nextTimeoutNs() const {
  if (inFlight_.empty()) return kNever;
  const std::int64_t soonest = std::min(lossTimerNs_, probeDeadlineNs());
  if (arq_ != ArqScheme::kSelectiveRepeat) return std::min(timerDeadlineNs_, soonest);
  std::int64_t next = soonest;
  for (const Outstanding& m : inFlight_) {
    if (!m.acked) next = std::min(next, m.deadlineNs);
  }
  return next;
}

}  // namespace pigeon::transport::rudp
