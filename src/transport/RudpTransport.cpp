// RudpTransport, the application's side: set-up, send, receive, flush,
// close. The I/O thread's side is in rudp/RudpTransportIo.cpp.

#include "transport/RudpTransport.h"

#include "transport/Endpoint.h"
#include "transport/SocketErrors.h"
#include "transport/UdpTransport.h"
#include "wire/Clock.h"

#include <algorithm>
#include <chrono>
#include <random>

namespace pigeon::transport {

using Code = TransportError::Code;
using rudp::RudpConnection;
using rudp::RudpConnector;
using State = rudp::RudpConnection::State;
using Clock = std::chrono::steady_clock;

namespace {

std::uint64_t randomU64() {
  std::random_device device;
  return (std::uint64_t{device()} << 32) | device();
}

Clock::time_point deadlineAfter(Poco::Timespan timeout) {
  return Clock::now() + std::chrono::microseconds(
                            std::max<Poco::Timespan::TimeDiff>(0, timeout.totalMicroseconds()));
}

std::string millis(std::int64_t ms) { return std::to_string(ms) + " ms"; }

}  // namespace

RudpTransport::RudpTransport(Poco::Net::DatagramSocket socket, const Options& options)
    : options_(options),
      socket_(std::move(socket)),
      local_(socket_.address()),
      received_(kReceiveSlots, wire::kMaxDatagramSize + 1) {
  if (options.socketBufferBytes > 0) {
    try {
      socket_.setReceiveBufferSize(options.socketBufferBytes);
      socket_.setSendBufferSize(options.socketBufferBytes);
    } catch (const Poco::Exception&) {
      // the kernel's default sizes still work, with more drops at bursts
    }
  }
}

std::unique_ptr<RudpTransport> RudpTransport::listen(const Poco::Net::SocketAddress& local,
                                                     const Options& options) {
  Poco::Net::DatagramSocket socket(local.family());
  bindDatagramSocket(socket, local);
  auto t = std::unique_ptr<RudpTransport>(new RudpTransport(std::move(socket), options));
  RudpTransport* raw = t.get();
  t->listener_.emplace(
      options, rudp::CookieMinter::randomSecret(),
      [raw](wire::ByteSpan d, const Poco::Net::SocketAddress& to) { raw->transmit(d, to); },
      randomU64);
  t->start();
  return t;
}

std::unique_ptr<RudpTransport> RudpTransport::connect(
    const Poco::Net::SocketAddress& peer, Poco::Timespan timeout, const Options& options,
    const std::optional<Poco::Net::SocketAddress>& local) {
  Poco::Net::DatagramSocket socket(peer.family());
  if (local) bindDatagramSocket(socket, *local);
  try {
    socket.connect(peer);  // ICMP errors reach us; strangers are filtered out
  } catch (const Poco::Exception& e) {
    throw translateSocketError(e, "rudp to " + formatAddress(peer));
  }
  auto t = std::unique_ptr<RudpTransport>(new RudpTransport(std::move(socket), options));
  RudpTransport* raw = t.get();
  t->peer_ = peer;
  const auto connectionId = static_cast<std::uint32_t>(randomU64() | 1);
  t->connector_ = std::make_unique<RudpConnector>(
      options, connectionId, randomU64(), [raw](wire::ByteSpan d) { raw->transmit(d, {}); });
  const std::int64_t nowNs = wire::steadyNowNs();
  t->connector_->start(nowNs, nowNs + timeout.totalMicroseconds() * 1000);
  t->start();

  std::unique_lock lock(t->mutex_);
  // The connector fails itself at the deadline; the margin is a backstop.
  t->changed_.wait_until(lock, deadlineAfter(timeout + Poco::Timespan(1, 0)), [&] {
    return t->connected_.load() || t->broken_ ||
           t->connector_->state() == RudpConnector::State::kFailed;
  });
  if (t->connected_) return t;
  if (t->broken_) throw *t->broken_;
  throw TransportError(Code::kTimedOut, "rudp: " + t->connector_->failure() + " from " +
                                            formatAddress(peer) + " within " +
                                            millis(timeout.totalMilliseconds()) +
                                            "; is a pigeon rudp listener there?");
}

std::optional<Poco::Net::SocketAddress> RudpTransport::nonRudpSource() const {
  std::lock_guard lock(mutex_);
  return nonRudpSource_;
}

RudpTransport::~RudpTransport() {
  try {
    close(Poco::Timespan(0));
  } catch (...) {
    // a destructor reports nothing
  }
  stop();
}

void RudpTransport::setAckedHandler(AckedHandler handler) {
  std::lock_guard lock(handlerMutex_);
  onAcked_ = std::move(handler);
}

void RudpTransport::throwIfBrokenLocked() const {
  if (broken_) throw *broken_;
  if (connection_ && connection_->state() == State::kFailed) {
    throw TransportError(Code::kTimedOut, "rudp: peer " + formatAddress(*peer_) +
                                              " went silent: " + connection_->failure());
  }
}

void RudpTransport::sendMessage(const wire::Header& header, wire::ByteSpan payload) {
  if (payload.size() > maxPayload()) {
    throw TransportError(Code::kMessageTooLong, "message too long for an rudp datagram (" +
                                                    std::to_string(payload.size()) +
                                                    " bytes, at most " +
                                                    std::to_string(maxPayload()) + ")");
  }
  std::unique_lock lock(mutex_);
  if (closed_) throw TransportError(Code::kOther, "rudp: transport closed");
  if (!connection_) throw TransportError(Code::kOther, "rudp: no peer connected yet");
  const auto deadline = deadlineAfter(Poco::Timespan(options_.sendTimeoutMs * 1000));
  auto blocked = [&] {
    return !closed_ && !broken_ && connection_->state() == State::kOpen && !connection_->canSend();
  };
  if (!writable_.wait_until(lock, deadline, [&] { return !blocked(); })) {
    throw TransportError(Code::kTimedOut, "rudp: send window stayed full for " +
                                              millis(options_.sendTimeoutMs) + "; peer " +
                                              formatAddress(*peer_) + " is not acknowledging");
  }
  if (closed_) throw TransportError(Code::kOther, "rudp: transport closed");
  throwIfBrokenLocked();
  if (connection_->state() != State::kOpen) {
    throw TransportError(Code::kPeerClosed,
                         "rudp: peer " + formatAddress(*peer_) + " closed the connection");
  }
  deferring_ = true;
  const std::int64_t nowNs = wire::steadyNowNs();
  connection_->send(header, payload, nowNs);
  deferring_ = false;
  // A send starts only the new message's timer, at now + RTO (the earliest
  // any timer it touches can be): wake the I/O thread only if that is sooner.
  if (nowNs + connection_->sender().rtt().rtoNs() < plannedWakeNs_) wakeup_.notify();
  const std::optional<Poco::Net::SocketAddress> to = peer_;
  lock.unlock();
  // On loopback a send runs the peer's receive path too: not under the lock.
  bool refused = false;
  {
    std::lock_guard guard(socketMutex_);
    for (std::size_t i = 0; i < outboxUsed_; ++i) {
      try {
        socket_.sendTo(outbox_[i].data(), static_cast<int>(outbox_[i].size()), *to);
      } catch (const Poco::Exception& e) {
        refused = refused || translateSocketError(e, "rudp").code() == Code::kConnectionRefused;
      }
    }
  }
  outboxUsed_ = 0;
  if (refused) {
    std::lock_guard relock(mutex_);
    peerUnreachable();
  }
}

void RudpTransport::sendPlain(wire::ByteSpan) {
  throw TransportError(Code::kProtocol, "rudp carries pigeon messages only, not plain text");
}

Incoming RudpTransport::receive(Poco::Timespan timeout) {
  const auto deadline = deadlineAfter(timeout);
  std::unique_lock lock(mutex_);
  while (true) {
    if (connection_ && connection_->hasMessage()) {
      std::optional<rudp::RudpMessage> m = connection_->takeMessage(wire::steadyNowNs());
      wakeIfSoonerLocked();
      Incoming in;
      in.kind = Incoming::Kind::kMessage;
      in.header = m->header;
      in.payload = std::move(m->payload);
      in.from = *peer_;
      in.arrivalNs = m->deliveredNs;
      return in;
    }
    throwIfBrokenLocked();
    Incoming in;
    if (closed_ || (connection_ && connection_->state() != State::kOpen &&
                    connection_->state() != State::kClosing)) {
      in.kind = Incoming::Kind::kClosed;
      return in;
    }
    if (Clock::now() >= deadline) return in;  // kTimeout
    readable_.wait_until(lock, deadline);
  }
}

bool RudpTransport::flush(Poco::Timespan timeout) {
  std::unique_lock lock(mutex_);
  const bool done = writable_.wait_until(lock, deadlineAfter(timeout), [&] {
    return !connection_ || connection_->allAcked() || broken_ ||
           connection_->state() == State::kFailed;
  });
  throwIfBrokenLocked();
  return done && (!connection_ || connection_->allAcked());
}

void RudpTransport::close(Poco::Timespan timeout) {
  {
    std::unique_lock lock(mutex_);
    if (closed_) return;
    closed_ = true;
    if (connection_) {
      connection_->close(wire::steadyNowNs());
      wakeIfSoonerLocked();
      changed_.wait_until(lock, deadlineAfter(timeout), [&] {
        const State s = connection_->state();
        return broken_ || s == State::kClosed || s == State::kFailed;
      });
    }
    notifyAllLocked();
  }
  stop();
}

void RudpTransport::close() { close(Poco::Timespan(options_.closeTimeoutMs * 1000)); }

bool RudpTransport::waitForPeer(Poco::Timespan timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_until(lock, deadlineAfter(timeout), [&] { return connected_.load(); });
}

rudp::RudpCounters RudpTransport::counters() const {
  std::lock_guard lock(mutex_);
  rudp::RudpCounters c = connection_ ? connection_->counters() : rudp::RudpCounters{};
  c.datagramsReceived += handshake_.datagramsReceived;
  c.corruptDropped += handshake_.corruptDropped;
  c.malformedDropped += handshake_.malformedDropped;
  c.strangersDropped += handshake_.strangersDropped;
  if (connector_) c.datagramsSent += connector_->datagramsSent();
  if (listener_) c.datagramsSent += listener_->counters().challengesSent;
  return c;
}

rudp::ArqScheme RudpTransport::arq() const {
  std::lock_guard lock(mutex_);
  return connection_ ? connection_->params().arq : options_.arq;
}

rudp::DeliveryMode RudpTransport::delivery() const {
  std::lock_guard lock(mutex_);
  return connection_ ? connection_->params().delivery : options_.delivery;
}

Poco::Net::SocketAddress RudpTransport::peerAddress() const {
  std::lock_guard lock(mutex_);
  return peer_.value_or(Poco::Net::SocketAddress());
}

}  // namespace pigeon::transport
