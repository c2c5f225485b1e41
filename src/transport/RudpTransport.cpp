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
using rudp::RudpIoThread;
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
  const std::int64_t nowNs = wire::steadyNowNs();
  const std::int64_t deadlineNs = nowNs + timeout.totalMicroseconds() * 1000;
  auto io = std::make_shared<RudpIoThread>(
      std::move(socket), options, [&](rudp::RudpEndpoint::Transmit transmit) {
        const auto connectionId = static_cast<std::uint32_t>(randomU64() | 1);
        return std::make_unique<rudp::RudpEndpoint>(options, SourceAddress(peer), connectionId,
                                                    randomU64(), std::move(transmit), nowNs,
                                                    deadlineNs);
      });
  io->start();
  // The connector fails itself at the deadline; the margin is a backstop.
  if (auto accepted = io->accept(deadlineAfter(timeout + Poco::Timespan(1, 0)))) {
    return std::make_unique<RudpTransport>(io, std::move(*accepted), options, true);
  }
  std::string failure = "no answer to connect";
  {
    std::lock_guard lock(io->mutex());
    if (auto error = io->connectFailure()) throw *error;
    if (const auto* connector = io->endpoint().connector(); !connector->failure().empty()) {
      failure = connector->failure();
    }
  }
  throw TransportError(Code::kTimedOut, "rudp: " + failure + " from " + formatAddress(peer) +
                                            " within " + millis(timeout.totalMilliseconds()) +
                                            "; is a pigeon rudp listener there?");
}

RudpTransport::RudpTransport(std::shared_ptr<RudpIoThread> io, RudpIoThread::Accepted accepted,
                             const Options& options, bool ownsIo)
    : options_(options),
      io_(std::move(io)),
      handle_(accepted.handle),
      waiters_(std::move(accepted.waiters)),
      peer_(accepted.peer),
      params_(accepted.params),
      ownsIo_(ownsIo) {}

RudpTransport::~RudpTransport() {
  try {
    close(Poco::Timespan(0));
  } catch (...) {
    // a destructor reports nothing
  }
}

void RudpTransport::setAckedHandler(AckedHandler handler) {
  std::lock_guard lock(waiters_->handlerMutex);
  waiters_->handler = std::move(handler);
}

rudp::RudpConnection* RudpTransport::connectionLocked() const {
  return closed_ ? nullptr : io_->endpoint().connection(handle_);
}

void RudpTransport::throwIfBrokenLocked() const {
  if (waiters_->broken) throw *waiters_->broken;
  const rudp::RudpConnection* c = connectionLocked();
  if (c && c->state() == State::kFailed) {
    throw TransportError(Code::kTimedOut,
                         "rudp: peer " + formatAddress(peer_) + " went silent: " + c->failure());
  }
}

void RudpTransport::sendMessage(const wire::Header& header, wire::ByteSpan payload) {
  if (payload.size() > maxPayload()) {
    throw TransportError(Code::kMessageTooLong, "message too long for an rudp datagram (" +
                                                    std::to_string(payload.size()) +
                                                    " bytes, at most " +
                                                    std::to_string(maxPayload()) + ")");
  }
  RudpIoThread::Lock lock(io_->mutex());
  const auto deadline = deadlineAfter(Poco::Timespan(options_.sendTimeoutMs * 1000));
  auto blocked = [&] {
    const rudp::RudpConnection* c = connectionLocked();
    return c && !waiters_->broken && c->state() == State::kOpen && !c->canSend();
  };
  if (!waiters_->writable.wait_until(lock, deadline, [&] { return !blocked(); })) {
    throw TransportError(Code::kTimedOut, "rudp: send window stayed full for " +
                                              millis(options_.sendTimeoutMs) + "; peer " +
                                              formatAddress(peer_) + " is not acknowledging");
  }
  rudp::RudpConnection* c = connectionLocked();
  if (!c) throw TransportError(Code::kOther, "rudp: transport closed");
  throwIfBrokenLocked();
  if (c->state() != State::kOpen) {
    throw TransportError(Code::kPeerClosed,
                         "rudp: peer " + formatAddress(peer_) + " closed the connection");
  }
  const std::int64_t nowNs = wire::steadyNowNs();
  c->send(header, payload, nowNs);
  // A send starts only the new message's timer, at now + RTO (the earliest
  // any timer it touches can be): wake the I/O thread only if that is sooner.
  io_->wakeIfSooner(nowNs + c->sender().rtt().rtoNs());
  // On loopback a send runs the peer's receive path too: not under the lock.
  io_->sendQueuedAndUnlock(lock);
}

void RudpTransport::sendPlain(wire::ByteSpan) {
  throw TransportError(Code::kProtocol, "rudp carries pigeon messages only, not plain text");
}

Incoming RudpTransport::receive(Poco::Timespan timeout) {
  const auto deadline = deadlineAfter(timeout);
  RudpIoThread::Lock lock(io_->mutex());
  while (true) {
    Incoming in;
    rudp::RudpConnection* c = connectionLocked();
    if (!c) {
      in.kind = Incoming::Kind::kClosed;
      return in;
    }
    if (c->hasMessage()) {
      std::optional<rudp::RudpMessage> m = c->takeMessage(wire::steadyNowNs());
      io_->wakeIfSooner(c->nextTimeoutNs());
      in.kind = Incoming::Kind::kMessage;
      in.header = m->header;
      in.payload = std::move(m->payload);
      in.from = peer_;
      in.arrivalNs = m->deliveredNs;
      io_->sendQueuedAndUnlock(lock);  // the ack that reopens a window, if any
      return in;
    }
    throwIfBrokenLocked();
    if (c->state() != State::kOpen && c->state() != State::kClosing) {
      in.kind = Incoming::Kind::kClosed;
      return in;
    }
    if (Clock::now() >= deadline) return in;  // kTimeout
    waiters_->readable.wait_until(lock, deadline);
  }
}

bool RudpTransport::flush(Poco::Timespan timeout) {
  RudpIoThread::Lock lock(io_->mutex());
  const auto settled = [&] {
    const rudp::RudpConnection* c = connectionLocked();
    return !c || c->allAcked() || waiters_->broken || c->state() == State::kFailed;
  };
  const bool done = waiters_->writable.wait_until(lock, deadlineAfter(timeout), settled);
  throwIfBrokenLocked();
  const rudp::RudpConnection* c = connectionLocked();
  return done && (!c || c->allAcked());
}

void RudpTransport::close(Poco::Timespan timeout) {
  {
    RudpIoThread::Lock lock(io_->mutex());
    if (closed_ || closing_) return;
    closing_ = true;
    if (rudp::RudpConnection* c = connectionLocked()) {
      c->close(wire::steadyNowNs());
      io_->wakeIfSooner(c->nextTimeoutNs());
      io_->sendQueuedAndUnlock(lock);  // the Close, now
      lock.lock();
      waiters_->readable.wait_until(lock, deadlineAfter(timeout), [&] {
        const State s = c->state();
        return waiters_->broken || s == State::kClosed || s == State::kFailed;
      });
    }
    final_ = countersLocked();
    closed_ = true;
    io_->detach(handle_);
    RudpIoThread::notifyAll(*waiters_);
  }
  // What was acknowledged before the close is handed over before it returns.
  RudpIoThread::dispatchAcked(*waiters_, io_->mutex());
  {
    std::lock_guard lock(waiters_->handlerMutex);
    waiters_->handler = nullptr;
  }
  if (ownsIo_) io_->stop();
}

void RudpTransport::close() { close(Poco::Timespan(options_.closeTimeoutMs * 1000)); }

rudp::RudpCounters RudpTransport::counters() const {
  std::lock_guard lock(io_->mutex());
  return final_ ? *final_ : countersLocked();
}

rudp::RudpCounters RudpTransport::countersLocked() const {
  const rudp::RudpConnection* c = connectionLocked();
  rudp::RudpCounters counters = c ? c->counters() : rudp::RudpCounters{};
  if (ownsIo_) {  // the socket is this connection's alone: its handshake counts too
    const rudp::RudpEndpoint::Counters h = io_->endpoint().counters();
    counters.datagramsSent += h.datagramsSent;
    counters.datagramsReceived += h.datagramsReceived;
    counters.corruptDropped += h.corruptDropped;
    counters.malformedDropped += h.malformedDropped;
    counters.strangersDropped += h.strangersDropped;
  }
  return counters;
}

}  // namespace pigeon::transport
