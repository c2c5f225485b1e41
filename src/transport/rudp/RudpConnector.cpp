#include "transport/rudp/RudpConnector.h"

#include "transport/rudp/RudpCodec.h"

#include <algorithm>

namespace pigeon::transport::rudp {

using wire::MessageType;

RudpConnector::RudpConnector(const RudpOptions& options, std::uint32_t connectionId,
                             std::uint64_t isn, Transmit transmit)
    : options_(options),
      hello_{connectionId == 0 ? 1u : connectionId, options.arq, options.delivery, isn,
             options.receiveWindowMessages},
      transmit_(std::move(transmit)) {}

void RudpConnector::start(std::int64_t nowNs, std::int64_t deadlineNs) {
  deadlineNs_ = deadlineNs;
  intervalNs_ = options_.initialRtoMs * kNsPerMs;
  ceilingNs_ = std::min(intervalNs_, options_.maxRtoMs * kNsPerMs);
  sentNs_ = nowNs;
  sends_ = 0;
  retryAtNs_ = nowNs + intervalNs_;
  sendHello();
}

void RudpConnector::sendHello() {
  out_.clear();
  if (state_ == State::kAwaitChallenge) {
    appendConnect(hello_, sentNs_, out_);
  } else {
    appendCookie(hello_, cookie_, sentNs_, out_);
  }
  ++sends_;
  ++datagramsSent_;
  transmit_(out_);
}

InputResult RudpConnector::inputDatagram(wire::ByteSpan datagram, std::int64_t nowNs) {
  wire::Frame frame;
  InputResult result = decodeRudpDatagram(datagram, frame);
  if (!result.taken()) return result;
  if (connectionIdOf(frame) != hello_.connectionId) return {DropReason::kUnknownConnection, {}};
  const std::int64_t sampleNs = sends_ == 1 ? nowNs - sentNs_ : -1;

  if (frame.header.type == MessageType::kRudpChallenge) {
    std::uint32_t id = 0;
    result.drop = parseChallenge(frame.payload, id, cookie_);
    if (!result.taken()) return result;
    if (state_ != State::kAwaitChallenge && state_ != State::kAwaitAccept) {
      return {DropReason::kUnexpected, {}};
    }
    // A newer Challenge (our Connect was resent) replaces the cookie.
    state_ = State::kAwaitAccept;
    params_.handshakeRttNs = sampleNs;
    sentNs_ = nowNs;
    sends_ = 0;
    intervalNs_ = options_.initialRtoMs * kNsPerMs;
    if (sampleNs >= 0) intervalNs_ = std::max(intervalNs_ / 4, 3 * sampleNs);
    retryAtNs_ = nowNs + intervalNs_;
    sendHello();
    return result;
  }
  if (frame.header.type == MessageType::kRudpAccept) {
    Hello accept;
    result.drop = parseAccept(frame.payload, accept);
    if (!result.taken()) return result;
    if (state_ != State::kAwaitAccept) return {DropReason::kUnexpected, {}};
    state_ = State::kEstablished;
    params_.role = ConnectionParams::Role::kClient;
    params_.connectionId = hello_.connectionId;
    params_.localIsn = hello_.initialSequence;
    params_.peerIsn = accept.initialSequence;
    params_.peerWindow = accept.receiveWindow;
    params_.arq = accept.arq;  // the listener has the last word
    params_.delivery = accept.delivery;
    if (sampleNs >= 0) params_.handshakeRttNs = sampleNs;
    retryAtNs_ = kNever;
    return result;
  }
  return {DropReason::kUnexpected, {}};
}

void RudpConnector::update(std::int64_t nowNs) {
  if (state_ == State::kEstablished || state_ == State::kFailed) return;
  if (nowNs >= deadlineNs_) {
    failure_ =
        state_ == State::kAwaitChallenge ? "no answer to connect" : "a challenge but no accept";
    state_ = State::kFailed;
    return;
  }
  if (nowNs >= retryAtNs_) {
    // The gap doubles but stops at the initial RTO (or the gap this step
    // began with, on a path slower than that): a handshake datagram is
    // small, the listener keeps no state for it and the deadline ends the
    // resending, while doubling on would fit only three Connects into a
    // 5 s connect (at 0, 1 and 3 s) and give up on a lossy link that five
    // would cross.
    intervalNs_ = std::min(2 * intervalNs_, std::max(ceilingNs_, intervalNs_));
    retryAtNs_ = nowNs + intervalNs_;
    sendHello();
    if (options_.onHandshakeRetry) options_.onHandshakeRetry(sends_, intervalNs_);
  }
}

std::int64_t RudpConnector::nextTimeoutNs() const {
  if (state_ == State::kEstablished || state_ == State::kFailed) return kNever;
  return std::min(deadlineNs_, retryAtNs_);
}

}  // namespace pigeon::transport::rudp
