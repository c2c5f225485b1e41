// RudpTransport (transport/RudpTransport.h), the I/O thread's side: the
// socket loop, datagrams in and out, the handshake's outcome, and waking
// the application's threads. The application's side is in
// transport/RudpTransport.cpp.

#include "transport/RudpTransport.h"

#include "transport/Endpoint.h"
#include "transport/SocketErrors.h"
#include "wire/Clock.h"
#include "wire/Codec.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

namespace pigeon::transport {

using Code = TransportError::Code;
using rudp::RudpConnection;
using rudp::RudpConnector;
using State = rudp::RudpConnection::State;

void RudpTransport::start() {
  io_.startFunc([this] { ioLoop(); });
}

void RudpTransport::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wakeup_.notify();
  if (!ioJoined_ && io_.isRunning() && Poco::Thread::current() != &io_) {
    io_.join();
    ioJoined_ = true;
  }
  std::scoped_lock lock(mutex_, socketMutex_);
  try {
    socket_.close();
  } catch (const Poco::Exception&) {
    // closing twice is harmless
  }
}

void RudpTransport::transmit(wire::ByteSpan datagram,
                             const std::optional<Poco::Net::SocketAddress>& to) {
  // Called with mutex_ held, from inside the protocol objects.
  if (deferring_) {  // sendMessage sends these once it has let go of the lock
    if (outboxUsed_ == outbox_.size()) outbox_.emplace_back();
    outbox_[outboxUsed_++].assign(datagram.begin(), datagram.end());
    return;
  }
  try {
    const int size = static_cast<int>(datagram.size());
    if (to) {
      socket_.sendTo(datagram.data(), size, *to);
    } else {
      socket_.sendBytes(datagram.data(), size);
    }
  } catch (const Poco::Exception& e) {
    // Only "nobody is there" ends anything; any other send error is a lost
    // datagram, which rudp recovers from.
    if (translateSocketError(e, "rudp").code() == Code::kConnectionRefused) peerUnreachable();
  }
}

void RudpTransport::peerUnreachable() {
  // mutex_ held: an ICMP port unreachable came back from the peer.
  if (!peer_ || broken_) return;
  const std::string peer = formatAddress(*peer_);
  if (connection_) {
    broken_.emplace(Code::kPeerClosed,
                    "rudp: peer " + peer + " is gone (its port is closed: ICMP port unreachable)");
  } else if (connector_) {
    broken_.emplace(Code::kConnectionRefused,
                    "rudp: nothing listens at " + peer + " (ICMP port unreachable)");
  }
  notifyAllLocked();
}

std::int64_t RudpTransport::nextTimeoutLocked() const {
  if (connection_) return connection_->nextTimeoutNs();
  if (connector_) return connector_->nextTimeoutNs();
  return rudp::kNever;
}

void RudpTransport::wakeIfSoonerLocked() {
  if (nextTimeoutLocked() < plannedWakeNs_) wakeup_.notify();
}

void RudpTransport::ioLoop() {
  while (true) {
    std::int64_t waitNs = 0;
    bool stopping = false;
    {
      std::lock_guard lock(mutex_);
      stopping = stopping_;
      const std::int64_t nowNs = wire::steadyNowNs();
      if (!stopping && connection_) {
        connection_->update(nowNs);
      } else if (!stopping && connector_) {
        connector_->update(nowNs);
      }
      plannedWakeNs_ = nextTimeoutLocked();
      waitNs = plannedWakeNs_ == rudp::kNever ? INT64_MAX : plannedWakeNs_ - nowNs;
      notifyLocked();
    }
    dispatchAcked();
    if (stopping) return;  // after handing over the last acknowledgements

    constexpr std::int64_t kMaxWaitMs = 1000;
    const int waitMs = static_cast<int>(
        std::clamp<std::int64_t>(waitNs / 1'000'000 + (waitNs % 1'000'000 > 0), 0, kMaxWaitMs));
    pollfd fds[2] = {{socket_.impl()->sockfd(), POLLIN, 0}, {wakeup_.readFd(), POLLIN, 0}};
    if (::poll(fds, 2, waitMs) < 0 && errno != EINTR) {
      const std::string reason = std::system_category().message(errno);
      std::lock_guard lock(mutex_);
      broken_.emplace(Code::kOther, "rudp: poll failed: " + reason);
      notifyAllLocked();
      return;
    }
    if ((fds[1].revents & POLLIN) != 0) wakeup_.drain();
    if ((fds[0].revents & (POLLIN | POLLERR)) != 0) readDatagrams();
  }
}

void RudpTransport::readDatagrams() {
  // Drains what the socket holds (up to kBatches recvmmsg calls, then the
  // timers run again) under one lock, and acks it with one ack.
  constexpr int kBatches = 4;
  const int fd = socket_.impl()->sockfd();
  std::lock_guard lock(mutex_);
  for (int batch = 0; batch < kBatches; ++batch) {
    const int n = received_.receiveQueued(fd);
    if (n < 0) {
      if (errno == ECONNREFUSED) {
        peerUnreachable();
        continue;
      }
      break;  // EAGAIN: drained
    }
    const std::int64_t nowNs = received_.arrivalNs();
    for (std::size_t i = 0; i < received_.datagrams(); ++i) {
      const wire::ByteSpan datagram = received_.datagram(i);
      const SourceAddress source = received_.source(i);
      if (connection_ && source == peerName_) {
        connection_->inputDatagram(datagram, nowNs);  // the peer: the common case, no copy
        continue;
      }
      handleDatagram(datagram, source.toSocketAddress(), nowNs);
    }
    if (static_cast<std::size_t>(n) < kReceiveSlots) break;  // drained
  }
  if (connection_) connection_->flushAcks();
}

void RudpTransport::handleDatagram(wire::ByteSpan datagram, const Poco::Net::SocketAddress& from,
                                   std::int64_t nowNs) {
  if (connection_) {
    if (peer_ && !(SourceAddress(from) == SourceAddress(*peer_))) {
      ++handshake_.strangersDropped;  // not our peer
      return;
    }
    connection_->inputDatagram(datagram, nowNs);
    return;
  }
  ++handshake_.datagramsReceived;
  rudp::InputResult result;
  if (connector_) {
    result = connector_->inputDatagram(datagram, nowNs);
    if (connector_->state() == RudpConnector::State::kEstablished) {
      adopt(connector_->params(), *peer_, nowNs);
    }
  } else if (listener_) {
    const rudp::HandshakeResponder::Result r = listener_->input(datagram, from, nowNs);
    result = r.input;
    // A pigeon frame of no rudp type: a peer speaking plain udp (chat, bench).
    if (!result.taken() && result.drop != rudp::DropReason::kBadChecksum) {
      const auto plain = wire::decodeDatagram(datagram);
      if (plain.ok() && (plain.frame.header.type < wire::MessageType::kRudpConnect ||
                         plain.frame.header.type > wire::MessageType::kRudpCloseAck)) {
        nonRudpSource_ = from;
      }
    }
    if (r.accepted) {
      peer_ = from;
      try {
        socket_.connect(from);  // one peer from now on, and its ICMP errors
      } catch (const Poco::Exception&) {
        // still usable unconnected: the connection sends with sendTo
      }
      adopt(*r.accepted, from, nowNs);
    }
  }
  if (result.drop == rudp::DropReason::kBadChecksum) {
    ++handshake_.corruptDropped;
  } else if (!result.taken()) {
    ++handshake_.malformedDropped;
  }
}

void RudpTransport::adopt(const rudp::ConnectionParams& params,
                          const Poco::Net::SocketAddress& peer, std::int64_t nowNs) {
  peer_ = peer;
  peerName_ = SourceAddress(peer);
  connection_ = std::make_unique<RudpConnection>(
      options_, params, [this](wire::ByteSpan d) { transmit(d, peer_); }, nowNs);
  connection_->setAckedHandler([this](const rudp::AckedMessage& m) { acked_.push_back(m); });
  connected_ = true;
  notifyAllLocked();
}

void RudpTransport::notifyAllLocked() {
  changed_.notify_all();
  readable_.notify_all();
  writable_.notify_all();
}

void RudpTransport::notifyLocked() {
  // Wake a waiter only for what it waits for: the receiver for messages,
  // the sender for an open window (or all acknowledged, for flush), both
  // for any change of state.
  const bool failed = connector_ && connector_->state() == RudpConnector::State::kFailed;
  const std::optional<State> state =
      connection_ ? std::optional(connection_->state()) : std::nullopt;
  if (failed || state != notifiedState_) {
    notifiedState_ = state;
    notifyAllLocked();
    return;
  }
  if (!connection_) return;
  if (connection_->hasMessage()) readable_.notify_all();
  // A blocked writer wakes once a burst's worth of room is open (or all is
  // acknowledged: flush, or a peer window too small for a burst).
  const rudp::RudpSender& sender = connection_->sender();
  if (connection_->allAcked() ||
      (connection_->canSend() && sender.sendRoom() >= sender.wakeRoom())) {
    writable_.notify_all();
  }
}

void RudpTransport::dispatchAcked() {
  std::vector<rudp::AckedMessage> acked;
  {
    std::lock_guard lock(mutex_);
    acked.swap(acked_);
  }
  if (acked.empty()) return;
  std::lock_guard lock(handlerMutex_);
  if (!onAcked_) return;
  for (const rudp::AckedMessage& m : acked) onAcked_(m);
}

}  // namespace pigeon::transport
