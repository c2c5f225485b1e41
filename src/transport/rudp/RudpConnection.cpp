#include "transport/rudp/RudpConnection.h"

#include "transport/rudp/RudpCodec.h"

#include <algorithm>

namespace pigeon::transport::rudp {

using wire::MessageType;

RudpConnection::RudpConnection(const RudpOptions& options, const ConnectionParams& params,
                               Transmit transmit, std::int64_t nowNs)
    : options_(options),
      params_(params),
      transmit_(std::move(transmit)),
      peerSpace_(params.peerIsn),
      sender_(
          options, params.arq, SequenceSpace(params.localIsn), params.peerWindow, counters_,
          [this](const RudpSender::Outstanding& m, std::uint64_t wireSequence,
                 std::uint64_t transmissionId) { transmitData(m, wireSequence, transmissionId); }),
      receiver_(options.receiveWindowMessages, params.arq, params.delivery),
      nowNs_(nowNs),
      lastReceiveNs_(nowNs),
      lastProbeNs_(nowNs),
      lastAdvertisedWindow_(receiver_.window()) {
  if (params.handshakeRttNs >= 0) sender_.rtt().addSample(params.handshakeRttNs);
  if (params.role == ConnectionParams::Role::kListener) sendAccept();
}

void RudpConnection::setAckedHandler(RudpSender::AckedHandler handler) {
  sender_.setAckedHandler(std::move(handler));
}

bool RudpConnection::canSend() const { return state_ == State::kOpen && sender_.canSend(); }

std::uint64_t RudpConnection::send(const wire::Header& header, wire::ByteSpan payload,
                                   std::int64_t nowNs) {
  nowNs_ = nowNs;
  return sender_.send(header, payload, nowNs);
}

void RudpConnection::emit() {
  ++counters_.datagramsSent;
  transmit_(out_);
}

void RudpConnection::transmitData(const RudpSender::Outstanding& m, std::uint64_t wireSequence,
                                  std::uint64_t transmissionId) {
  const DataPrefix prefix{params_.connectionId, m.header.type, m.header.sequence, transmissionId};
  out_.clear();
  appendData(prefix, m.header.streamId, m.header.sendTimeNs, wireSequence, m.payload, scratch_,
             out_);
  emit();
}

void RudpConnection::flushAcks() {
  if (!ackDue_) return;
  sendAck(dueFlags_, dueEchoSequence_, dueEchoTransmission_);
}

void RudpConnection::sendAck(std::uint8_t flags, std::uint64_t echoSequence,
                             std::uint64_t echoTransmission) {
  ackDue_ = false;
  dueCount_ = 0;
  dueFlags_ = 0;
  dueEchoSequence_ = 0;
  dueEchoTransmission_ = 0;
  ack_.connectionId = params_.connectionId;
  ack_.flags = flags;
  ack_.cumulative = peerSpace_.toWire(receiver_.cumulative());
  ack_.window = receiver_.window();
  ack_.echoSequence = echoSequence;
  ack_.echoTransmission = echoTransmission;
  receiver_.sackRanges(kMaxSackRanges, ack_.ranges);
  lastAdvertisedWindow_ = ack_.window;
  out_.clear();
  appendAck(ack_, nowNs_, out_);
  ++counters_.acksSent;
  emit();
}

void RudpConnection::sendAccept() {
  const Hello hello{params_.connectionId, params_.arq, params_.delivery, params_.localIsn,
                    receiver_.capacity()};
  out_.clear();
  appendAccept(hello, nowNs_, out_);
  emit();
}

void RudpConnection::sendClose() {
  out_.clear();
  appendClose({params_.connectionId, sender_.nextWireSequence()}, nowNs_, out_);
  emit();
}

InputResult RudpConnection::inputDatagram(wire::ByteSpan datagram, std::int64_t nowNs) {
  ++counters_.datagramsReceived;
  wire::Frame frame;
  InputResult result = decodeRudpDatagram(datagram, frame);
  if (result.taken()) result = input(frame, nowNs);
  if (result.drop == DropReason::kBadChecksum) {
    ++counters_.corruptDropped;
  } else if (!result.taken()) {
    ++counters_.malformedDropped;
  }
  return result;
}

InputResult RudpConnection::input(const wire::Frame& frame, std::int64_t nowNs) {
  nowNs_ = nowNs;
  if (connectionIdOf(frame) != params_.connectionId) return {DropReason::kUnknownConnection, {}};
  if (state_ == State::kFailed) return {DropReason::kUnexpected, {}};
  InputResult result;
  switch (frame.header.type) {
    case MessageType::kRudpData:
      result = onData(frame);
      break;
    case MessageType::kRudpAck:
      result = onAck(frame);
      break;
    case MessageType::kRudpClose:
      result = onClose(frame);
      break;
    case MessageType::kRudpCloseAck: {
      std::uint32_t id = 0;
      result.drop = parseCloseAck(frame.payload, id);
      if (result.taken() && state_ == State::kClosing) {
        state_ = State::kClosed;
        closeConfirmed_ = true;
      }
      break;
    }
    case MessageType::kRudpCookie: {
      // The client did not get our Accept and asks again.
      Hello hello;
      Cookie cookie;
      result.drop = parseCookie(frame.payload, hello, cookie);
      if (result.taken() && params_.role != ConnectionParams::Role::kListener) {
        result.drop = DropReason::kUnexpected;
      }
      if (result.taken()) sendAccept();
      break;
    }
    case MessageType::kRudpChallenge:
    case MessageType::kRudpAccept:
      // Late copies of the handshake's answers; nothing to do.
      if (params_.role != ConnectionParams::Role::kClient) result.drop = DropReason::kUnexpected;
      break;
    default:
      result.drop = DropReason::kUnexpected;
      break;
  }
  if (result.taken()) lastReceiveNs_ = nowNs;
  return result;
}

InputResult RudpConnection::onData(const wire::Frame& frame) {
  DataPrefix prefix;
  wire::ByteSpan userPayload;
  const DropReason drop = parseData(frame.payload, prefix, userPayload);
  if (drop != DropReason::kNone) return {drop, {}};

  RudpMessage message;
  message.header.type = prefix.userType;
  message.header.payloadLength = static_cast<std::uint32_t>(userPayload.size());
  message.header.streamId = frame.header.streamId;
  message.header.sequence = prefix.userSequence;
  message.header.sendTimeNs = frame.header.sendTimeNs;
  const std::uint64_t index = peerSpace_.toIndex(frame.header.sequence);
  // Copy the payload only for a message the receiver may take.
  if (index >= receiver_.cumulative())
    message.payload.assign(userPayload.begin(), userPayload.end());

  std::uint8_t flags = ackflags::kEcho;
  const RudpReceiver::Verdict verdict = receiver_.onData(index, std::move(message), nowNs_);
  switch (verdict) {
    case RudpReceiver::Verdict::kAccepted:
      break;
    case RudpReceiver::Verdict::kDuplicate:
      ++counters_.duplicatesDiscarded;
      break;
    case RudpReceiver::Verdict::kOutOfOrderDiscarded:
      ++counters_.outOfOrderDiscarded;
      flags |= ackflags::kEchoDiscarded;
      break;
    case RudpReceiver::Verdict::kOutOfWindow:
      ++counters_.outOfWindowDiscarded;
      flags |= ackflags::kEchoDiscarded;
      break;
  }
  ackDue_ = true;
  dueFlags_ = flags;
  dueEchoSequence_ = frame.header.sequence;
  dueEchoTransmission_ = prefix.transmissionId;
  constexpr int kAckEveryDatagrams = 2;
  if (++dueCount_ >= kAckEveryDatagrams || verdict != RudpReceiver::Verdict::kAccepted ||
      receiver_.hasGap()) {
    flushAcks();
  }
  if (!peerCloseAnswered_) checkPeerClose();
  return {};
}

InputResult RudpConnection::onAck(const wire::Frame& frame) {
  DropReason drop = parseAck(frame.payload, ack_);
  if (drop == DropReason::kNone) drop = sender_.onAck(ack_, nowNs_);
  if (drop != DropReason::kNone) return {drop, {}};
  if (!sender_.peerWindowClosed()) {
    persistAtNs_ = kNever;
  } else if (persistAtNs_ == kNever) {
    persistIntervalNs_ = sender_.rtt().rtoNs();
    persistAtNs_ = nowNs_ + persistIntervalNs_;
  }
  if ((ack_.flags & ackflags::kAckRequested) != 0) ackDue_ = true;
  return {};
}

InputResult RudpConnection::onClose(const wire::Frame& frame) {
  ClosePacket close;
  const DropReason drop = parseClose(frame.payload, close);
  if (drop != DropReason::kNone) return {drop, {}};
  peerFinalIndex_ = peerSpace_.toIndex(close.nextSequence);
  checkPeerClose();
  return {};
}

void RudpConnection::checkPeerClose() {
  if (!peerFinalIndex_ || receiver_.cumulative() < *peerFinalIndex_) return;
  out_.clear();
  appendCloseAck(params_.connectionId, nowNs_, out_);
  emit();
  peerCloseAnswered_ = true;
  if (state_ == State::kOpen) state_ = State::kPeerClosed;
}

std::optional<RudpMessage> RudpConnection::takeMessage(std::int64_t nowNs) {
  nowNs_ = nowNs;
  std::optional<RudpMessage> m = receiver_.take();
  if (!m) return m;
  ++counters_.messagesDelivered;
  // Reopen the peer's window when it was nearly shut and is now half open.
  const std::uint32_t half = std::max<std::uint32_t>(1, receiver_.capacity() / 2);
  if (lastAdvertisedWindow_ < half && receiver_.window() >= half && state_ != State::kClosed) {
    ackDue_ = true;
    flushAcks();
  }
  return m;
}

void RudpConnection::close(std::int64_t nowNs) {
  nowNs_ = nowNs;
  if (state_ == State::kPeerClosed) {
    state_ = State::kClosed;
    closeConfirmed_ = true;  // the peer closed first; nothing left to confirm
  }
  if (state_ != State::kOpen) return;
  state_ = State::kClosing;
  closeDeadlineNs_ = nowNs + options_.closeTimeoutMs * kNsPerMs;
  closeIntervalNs_ = sender_.rtt().rtoNs();
  closeRetryAtNs_ = nowNs + closeIntervalNs_;
  sendClose();
}

void RudpConnection::update(std::int64_t nowNs) {
  nowNs_ = nowNs;
  flushAcks();
  if (state_ == State::kClosed || state_ == State::kFailed) return;
  if (state_ == State::kClosing) {
    if (nowNs >= closeDeadlineNs_) {
      state_ = State::kClosed;  // the peer never confirmed
      return;
    }
    if (nowNs >= closeRetryAtNs_) {
      closeIntervalNs_ = std::min(2 * closeIntervalNs_, options_.maxRtoMs * kNsPerMs);
      closeRetryAtNs_ = nowNs + closeIntervalNs_;
      sendClose();
    }
  }
  sender_.update(nowNs);
  if (state_ == State::kPeerClosed) return;  // nobody left to hear from

  const std::int64_t idleNs = options_.idleTimeoutMs * kNsPerMs;
  if (state_ == State::kOpen && nowNs - lastReceiveNs_ >= idleNs) {
    state_ = State::kFailed;
    failure_ = "no datagram from the peer for " + std::to_string(options_.idleTimeoutMs) +
               " ms (idle timeout)";
    return;
  }
  const std::int64_t keepaliveNs = options_.keepaliveIntervalMs * kNsPerMs;
  if (nowNs >= std::max(lastReceiveNs_, lastProbeNs_) + keepaliveNs) {
    lastProbeNs_ = nowNs;
    sendAck(ackflags::kAckRequested, 0, 0);
  }
  if (nowNs >= persistAtNs_) {
    if (sender_.peerWindowClosed() && sender_.allAcked()) {
      sendAck(ackflags::kAckRequested, 0, 0);
      persistIntervalNs_ = std::min(2 * persistIntervalNs_, keepaliveNs);
      persistAtNs_ = nowNs + persistIntervalNs_;
    } else {
      persistAtNs_ = kNever;
    }
  }
}

std::int64_t RudpConnection::nextTimeoutNs() const {
  if (ackDue_) return nowNs_;
  if (state_ == State::kClosed || state_ == State::kFailed) return kNever;
  std::int64_t next = sender_.nextTimeoutNs();
  if (state_ == State::kClosing) next = std::min({next, closeDeadlineNs_, closeRetryAtNs_});
  if (state_ == State::kPeerClosed) return next;
  if (state_ == State::kOpen)
    next = std::min(next, lastReceiveNs_ + options_.idleTimeoutMs * kNsPerMs);
  next = std::min(next,
                  std::max(lastReceiveNs_, lastProbeNs_) + options_.keepaliveIntervalMs * kNsPerMs);
  return std::min(next, persistAtNs_);
}

RudpCounters RudpConnection::counters() const {
  RudpCounters c = counters_;
  const RttEstimator& rtt = sender_.rtt();
  c.srttUs = rtt.hasSample() ? rtt.srttNs() / 1000 : 0;
  c.rttvarUs = rtt.hasSample() ? rtt.rttvarNs() / 1000 : 0;
  c.rtoUs = rtt.rtoNs() / 1000;
  c.reorderThreshold = static_cast<std::int64_t>(sender_.reorderThreshold());
  return c;
}

}  // namespace pigeon::transport::rudp
