#include "transport/rudp/RudpIoThread.h"

#include "transport/Endpoint.h"
#include "wire/Clock.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

namespace pigeon::transport::rudp {

using Code = TransportError::Code;
using State = RudpConnection::State;

namespace {
// Each thread that sends swaps its own outbox with the queue, so the
// datagrams' buffers go round and are not allocated again.
thread_local std::vector<wire::Bytes> tSending;
thread_local std::vector<SourceAddress> tSendingTo;
}  // namespace

RudpIoThread::RudpIoThread(Poco::Net::DatagramSocket socket, const RudpOptions& options,
                           const MakeEndpoint& makeEndpoint, Reading reading)
    : socket_(std::move(socket)),
      local_(socket_.address()),
      reading_(reading),
      received_(kReceiveSlots, wire::kMaxDatagramSize + 1) {
  if (options.socketBufferBytes > 0) {
    try {
      socket_.setReceiveBufferSize(options.socketBufferBytes);
      socket_.setSendBufferSize(options.socketBufferBytes);
    } catch (const Poco::Exception&) {
      // the kernel's default sizes still work, with more drops at bursts
    }
  }
  endpoint_ = makeEndpoint(
      [this](wire::ByteSpan datagram, const SourceAddress& to) { queue(datagram, to); });
}

RudpIoThread::~RudpIoThread() {
  stop();
  if (reading_ == Reading::kHandedIn) return;  // its reader's socket
  try {
    socket_.close();
  } catch (const Poco::Exception&) {
    // closing twice is harmless
  }
}

void RudpIoThread::start() {
  thread_.startFunc([this] { run(); });
}

void RudpIoThread::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wakeup_.notify();
  if (!joined_ && thread_.isRunning() && Poco::Thread::current() != &thread_) {
    thread_.join();
    joined_ = true;
  }
}

void RudpIoThread::queue(wire::ByteSpan datagram, const SourceAddress& to) {
  // mutex_ held: called from inside the endpoint.
  Outbox& o = outbox_;
  if (o.used == o.datagrams.size()) {
    o.datagrams.emplace_back();
    o.to.emplace_back();
  }
  o.datagrams[o.used].assign(datagram.begin(), datagram.end());
  o.to[o.used] = to;
  ++o.used;
}

void RudpIoThread::sendQueuedAndUnlock(Lock& lock) {
  const std::size_t count = outbox_.used;
  if (count == 0) {
    lock.unlock();
    return;
  }
  std::vector<wire::Bytes>& sending = tSending;
  std::vector<SourceAddress>& sendingTo = tSendingTo;
  sending.swap(outbox_.datagrams);
  sendingTo.swap(outbox_.to);
  outbox_.used = 0;
  lock.unlock();
  const int fd = socket_.impl()->sockfd();
  bool refused = false;
  for (std::size_t i = 0; i < count; ++i) {
    const SourceAddress& to = sendingTo[i];
    // Any error but "nobody is there" is a lost datagram, which rudp recovers from.
    if (::sendto(fd, sending[i].data(), sending[i].size(), MSG_NOSIGNAL, to.name(), to.length()) <
            0 &&
        errno == ECONNREFUSED) {
      refused = true;
    }
  }
  if (refused) {
    lock.lock();
    unreachable();
    lock.unlock();
  }
}

void RudpIoThread::unreachable() {
  // mutex_ held. Only a client's socket is connected, and so told of this.
  if (!endpoint_->connector()) return;
  if (attached_.empty() && !failed_) {
    failed_.emplace(Code::kConnectionRefused, "rudp: nothing listens at " +
                                                  formatAddress(socket_.peerAddress()) +
                                                  " (ICMP port unreachable)");
    established_.notify_all();
  }
  for (auto& [handle, waiters] : attached_) {
    if (waiters->broken) continue;
    waiters->broken.emplace(Code::kPeerClosed,
                            "rudp: peer " + formatAddress(socket_.peerAddress()) +
                                " is gone (its port is closed: ICMP port unreachable)");
    notifyAll(*waiters);
  }
}

void RudpIoThread::wakeIfSooner(std::int64_t atNs) {
  if (atNs < plannedWakeNs_) wakeup_.notify();
}

void RudpIoThread::notifyAll(Waiters& waiters) {
  waiters.readable.notify_all();
  waiters.writable.notify_all();
}

void RudpIoThread::wakeOwners(std::vector<std::shared_ptr<Waiters>>& withAcked) {
  // Wake a waiter only for what it waits for: the receiver for messages,
  // the sender for an open window (or all acknowledged, for flush), both
  // for any change of state.
  touched_.clear();
  endpoint_->takeTouched(touched_);
  for (const Handle handle : touched_) {
    const auto at = attached_.find(handle);
    if (at == attached_.end()) continue;
    Waiters& w = *at->second;
    const RudpConnection* c = endpoint_->connection(handle);
    if (!w.acked.empty()) withAcked.push_back(at->second);
    if (c->state() != w.notifiedState) {
      w.notifiedState = c->state();
      notifyAll(w);
      continue;
    }
    if (c->hasMessage()) w.readable.notify_all();
    // A blocked writer wakes once a burst's worth of room is open (or all is
    // acknowledged: flush, or a peer window too small for a burst).
    const RudpSender& sender = c->sender();
    if (c->allAcked() || (c->canSend() && sender.sendRoom() >= sender.wakeRoom())) {
      w.writable.notify_all();
    }
  }
  const RudpConnector* connector = endpoint_->connector();
  if (endpoint_->hasEstablished() ||
      (connector && connector->state() == RudpConnector::State::kFailed)) {
    established_.notify_all();
  }
}

void RudpIoThread::dispatchAcked(Waiters& waiters, std::mutex& mutex) {
  // Under handlerMutex while taking them, so batches are handed over in order.
  std::lock_guard handlerLock(waiters.handlerMutex);
  std::vector<AckedMessage> acked;
  {
    std::lock_guard lock(mutex);
    acked.swap(waiters.acked);
  }
  if (!waiters.handler) return;
  for (const AckedMessage& m : acked) waiters.handler(m);
}

void RudpIoThread::dispatch(std::vector<std::shared_ptr<Waiters>>& withAcked) {
  for (const auto& waiters : withAcked) dispatchAcked(*waiters, mutex_);
  withAcked.clear();
}

void RudpIoThread::run() {
  std::vector<std::shared_ptr<Waiters>> withAcked;
  while (true) {
    std::int64_t waitNs = 0;
    {
      Lock lock(mutex_);
      if (stopping_) return;
      const std::int64_t nowNs = wire::steadyNowNs();
      endpoint_->update(nowNs);
      plannedWakeNs_ = endpoint_->nextTimeoutNs();
      waitNs = plannedWakeNs_ == kNever ? INT64_MAX : plannedWakeNs_ - nowNs;
      wakeOwners(withAcked);
      sendQueuedAndUnlock(lock);
    }
    dispatch(withAcked);

    constexpr std::int64_t kMaxWaitMs = 1000;
    const int waitMs = static_cast<int>(
        std::clamp<std::int64_t>(waitNs / 1'000'000 + (waitNs % 1'000'000 > 0), 0, kMaxWaitMs));
    pollfd fds[2] = {{wakeup_.readFd(), POLLIN, 0}, {socket_.impl()->sockfd(), POLLIN, 0}};
    const nfds_t polled = reading_ == Reading::kOwnSocket ? 2 : 1;
    if (::poll(fds, polled, waitMs) < 0 && errno != EINTR) {
      const std::string reason = std::system_category().message(errno);
      std::lock_guard lock(mutex_);
      failed_.emplace(Code::kOther, "rudp: poll failed: " + reason);
      for (auto& [handle, waiters] : attached_) {
        waiters->broken = failed_;
        notifyAll(*waiters);
      }
      established_.notify_all();
      return;
    }
    if ((fds[0].revents & POLLIN) != 0) wakeup_.drain();
    if (polled == 2 && (fds[1].revents & (POLLIN | POLLERR)) != 0) readDatagrams();
  }
}

void RudpIoThread::readDatagrams() {
  // Drains what the socket holds (up to kBatches recvmmsg calls, then the
  // timers run again) under one lock, and acks it with one ack.
  constexpr int kBatches = 4;
  const int fd = socket_.impl()->sockfd();
  std::vector<std::shared_ptr<Waiters>> withAcked;
  Lock lock(mutex_);
  for (int batch = 0; batch < kBatches; ++batch) {
    const int n = received_.receiveQueued(fd);
    if (n < 0) {
      if (errno == ECONNREFUSED) {
        unreachable();
        continue;
      }
      break;  // EAGAIN: drained
    }
    const std::int64_t nowNs = received_.arrivalNs();
    for (std::size_t i = 0; i < received_.datagrams(); ++i) {
      endpoint_->input(received_.datagram(i), received_.source(i), nowNs);
    }
    if (static_cast<std::size_t>(n) < kReceiveSlots) break;  // drained
  }
  endpoint_->flushAcks();
  wakeOwners(withAcked);
  sendQueuedAndUnlock(lock);
  dispatch(withAcked);
}

void RudpIoThread::input(wire::ByteSpan datagram, const SourceAddress& from, std::int64_t nowNs) {
  std::vector<std::shared_ptr<Waiters>> withAcked;
  Lock lock(mutex_);
  endpoint_->input(datagram, from, nowNs);
  endpoint_->flushAcks();
  wakeIfSooner(endpoint_->nextTimeoutNs());  // a new connection's timers
  wakeOwners(withAcked);
  sendQueuedAndUnlock(lock);
  dispatch(withAcked);
}

std::optional<RudpIoThread::Accepted> RudpIoThread::accept(Clock::time_point deadline) {
  Lock lock(mutex_);
  const auto ready = [&] {
    const RudpConnector* connector = endpoint_->connector();
    return endpoint_->hasEstablished() || failed_ || stopping_ ||
           (connector && connector->state() == RudpConnector::State::kFailed);
  };
  if (!established_.wait_until(lock, deadline, ready)) return std::nullopt;
  const std::optional<Handle> handle = endpoint_->takeEstablished();
  if (!handle) return std::nullopt;
  auto waiters = std::make_shared<Waiters>();
  Waiters* raw = waiters.get();
  RudpConnection* c = endpoint_->connection(*handle);
  c->setAckedHandler([raw](const AckedMessage& m) { raw->acked.push_back(m); });
  waiters->notifiedState = c->state();
  attached_[*handle] = waiters;
  return Accepted{*handle, waiters, endpoint_->peerOf(*handle).toSocketAddress(), c->params()};
}

std::optional<TransportError> RudpIoThread::connectFailure() const { return failed_; }

void RudpIoThread::detach(Handle handle) {
  attached_.erase(handle);
  endpoint_->release(handle);
}

void RudpIoThread::stopListening() {
  std::lock_guard lock(mutex_);
  endpoint_->stopListening();
  established_.notify_all();
}

}  // namespace pigeon::transport::rudp
