#include "link/LinkRelay.h"

#include "transport/Endpoint.h"
#include "transport/SocketErrors.h"
#include "transport/UdpTransport.h"
#include "wire/Clock.h"
#include "wire/Codec.h"
#include "wire/Header.h"

#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>

namespace pigeon::link {

namespace {

// How long the thread waits at most before it looks at stopRequested_.
constexpr std::int64_t kMaxWaitNs = 20'000'000;
// A read takes up to kBatch datagrams of any size UDP carries.
constexpr std::size_t kBatch = 32;
constexpr std::size_t kMaxDatagramBytes = 65536;
// The relay's own backlog of copies waiting to be due: beyond it, dropped.
constexpr std::size_t kMaxBacklogBytes = 64u << 20;
constexpr std::size_t kMaxBacklogCopies = 1u << 18;
// Batches read per socket per turn.
constexpr int kMaxBatchesPerTurn = 4;

Poco::Net::DatagramSocket boundSocket(const Poco::Net::SocketAddress& listen) {
  Poco::Net::DatagramSocket socket(listen.family());
  transport::bindDatagramSocket(socket, listen);
  socket.setBlocking(false);
  return socket;
}

Poco::Net::DatagramSocket connectedSocket(const Poco::Net::SocketAddress& target) {
  Poco::Net::DatagramSocket socket(target.family());
  try {
    socket.connect(target);
  } catch (const Poco::Exception& e) {
    throw transport::translateSocketError(e, "udp relay to " + transport::formatAddress(target));
  }
  socket.setBlocking(false);
  return socket;
}

// True for a pigeon frame of a control type: it carries no message, so its
// loss is no message lost. Only the type byte is read, after the checks that
// say it is a frame at all; the rest of a datagram is never interpreted.
bool isControlFrame(wire::ByteSpan datagram) {
  if (datagram.size() < wire::kHeaderSize || !wire::startsLikeFrame(datagram)) return false;
  using wire::MessageType;
  switch (static_cast<MessageType>(datagram[3])) {
    case MessageType::kHello:
    case MessageType::kBye:
    case MessageType::kReport:
    case MessageType::kRudpConnect:
    case MessageType::kRudpChallenge:
    case MessageType::kRudpCookie:
    case MessageType::kRudpAccept:
    case MessageType::kRudpAck:
    case MessageType::kRudpClose:
    case MessageType::kRudpCloseAck:
      return true;
    default:
      return false;
  }
}

}  // namespace

LinkRelay::LinkRelay(const LinkSpec& spec, const Poco::Net::SocketAddress& listen,
                     const Poco::Net::SocketAddress& target)
    : spec_(spec),
      clientSocket_(boundSocket(listen)),
      targetSocket_(connectedSocket(target)),
      address_(clientSocket_.address()),
      target_(target),
      up_{ImpairmentModel(spec.up, 0), {}},
      down_{ImpairmentModel(spec.down, 1), {}},
      batch_(kBatch, kMaxDatagramBytes),
      queue_(kMaxBacklogCopies, kMaxBacklogBytes),
      runnable_(*this, &LinkRelay::run),
      thread_("link relay") {}

LinkRelay::LinkRelay(std::string_view spec, const Poco::Net::SocketAddress& listen,
                     const Poco::Net::SocketAddress& target)
    : LinkRelay(LinkSpec::parse(spec), listen, target) {}

LinkRelay::~LinkRelay() { stop(); }

void LinkRelay::start() {
  if (started_.exchange(true)) throw std::logic_error("link relay: started twice");
  running_ = true;
  try {
    thread_.start(runnable_);
  } catch (...) {
    running_ = false;
    joined_ = true;
    throw;
  }
}

void LinkRelay::stop() noexcept {
  stopForwarding();
  for (auto* socket : {&clientSocket_, &targetSocket_}) {
    try {
      socket->close();
    } catch (...) {
      // closing twice is harmless
    }
  }
}

void LinkRelay::stopForwarding() noexcept {
  stopRequested_ = true;
  if (started_ && !joined_) {
    joined_ = true;
    try {
      thread_.join();
    } catch (...) {
      // nothing more to do: the thread is gone or cannot be joined
    }
  }
  running_ = false;
}

std::string LinkRelay::error() const {
  std::lock_guard lock(mutex_);
  return error_;
}

std::optional<Poco::Net::SocketAddress> LinkRelay::client() const {
  std::lock_guard lock(mutex_);
  return client_;
}

RelayCounters LinkRelay::upCounters() const {
  std::lock_guard lock(mutex_);
  RelayCounters counters = up_.counters;
  counters.model = up_.model.counters();
  return counters;
}

RelayCounters LinkRelay::downCounters() const {
  std::lock_guard lock(mutex_);
  RelayCounters counters = down_.counters;
  counters.model = down_.model.counters();
  return counters;
}

void LinkRelay::run() {
  std::string failure;
  try {
    loop();
  } catch (const Poco::Exception& e) {
    failure = e.displayText();
  } catch (const std::exception& e) {
    failure = e.what();
  } catch (...) {
    failure = "unknown error";
  }
  if (!failure.empty()) {
    std::lock_guard lock(mutex_);
    error_ = "link relay stopped: " + failure;
  }
  running_ = false;
}

void LinkRelay::loop() {
  // Wake-ups when a copy is due, not up to the default 50 us later.
  ::prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  pollfd sockets[2] = {{clientSocketHandle(), POLLIN, 0}, {targetSocketHandle(), POLLIN, 0}};
  while (!stopRequested_) {
    queue_.releaseDue(wire::steadyNowNs(), [this](const DelayQueue::Copy& copy) { send(copy); });
    std::int64_t waitNs = kMaxWaitNs;
    if (const auto due = queue_.nextDueNs()) {
      waitNs = std::clamp<std::int64_t>(*due - wire::steadyNowNs(), 0, kMaxWaitNs);
    }
    const timespec wait{static_cast<time_t>(waitNs / 1'000'000'000),
                        static_cast<long>(waitNs % 1'000'000'000)};
    sockets[0].revents = sockets[1].revents = 0;
    if (::ppoll(sockets, 2, &wait, nullptr) < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("ppoll: " + std::string(std::strerror(errno)));
    }
    if (sockets[0].revents != 0) readFromClient();
    if (sockets[1].revents != 0) readFromTarget();
  }
  queue_.clear();
}

void LinkRelay::readFromClient() {
  const int fd = clientSocketHandle();
  for (int turn = 0; turn < kMaxBatchesPerTurn; ++turn) {
    const int n = batch_.receiveQueued(fd);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (transport::isNetworkError(errno)) continue;
      throw transport::datagramError(errno, client().value_or(address_), /*sending=*/false);
    }
    if (n == 0) return;
    for (std::size_t i = 0; i < batch_.datagrams(); ++i) {
      if (clientName_.empty()) {
        clientName_ = batch_.source(i);
        std::lock_guard lock(mutex_);
        client_ = clientName_.toSocketAddress();
      }
      if (!batch_.cameFrom(i, clientName_)) {
        std::lock_guard lock(mutex_);
        ++up_.counters.ignored;
        continue;
      }
      admit(true, batch_.datagram(i), batch_.arrivalNs());
    }
    if (batch_.datagrams() < batch_.capacity()) return;  // nothing more queued
  }
}

void LinkRelay::readFromTarget() {
  const int fd = targetSocketHandle();
  for (int turn = 0; turn < kMaxBatchesPerTurn; ++turn) {
    const int n = batch_.receiveQueued(fd);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (transport::isNetworkError(errno)) {
        // The target is not listening (ICMP port unreachable): an up copy
        // sent earlier did not arrive.
        std::lock_guard lock(mutex_);
        ++up_.counters.unreachable;
        continue;
      }
      throw transport::datagramError(errno, target_, /*sending=*/false);
    }
    if (n == 0) return;
    for (std::size_t i = 0; i < batch_.datagrams(); ++i) {
      if (clientName_.empty()) {
        std::lock_guard lock(mutex_);
        ++down_.counters.ignored;  // nobody to send it to yet
        continue;
      }
      admit(false, batch_.datagram(i), batch_.arrivalNs());
    }
    if (batch_.datagrams() < batch_.capacity()) return;
  }
}

void LinkRelay::admit(bool up, wire::ByteSpan datagram, std::int64_t arrivalNs) {
  Direction& direction = up ? up_ : down_;
  const bool control = isControlFrame(datagram);
  deliveries_.clear();
  std::lock_guard lock(mutex_);
  ++direction.counters.received;
  const std::uint64_t droppedBefore = direction.model.counters().dropped();
  direction.model.onPacket(arrivalNs, datagram.size(), deliveries_);
  if (control) {
    ++direction.counters.controlReceived;
    direction.counters.controlDropped += direction.model.counters().dropped() - droppedBefore;
  }
  for (const Delivery& delivery : deliveries_) {
    std::uint8_t* bytes = queue_.push(delivery.deliverAtNs, up, control, datagram);
    if (bytes == nullptr) {
      ++direction.counters.overflow;
      if (control) ++direction.counters.controlOverflow;
      continue;
    }
    if (delivery.corrupt) bytes[delivery.corruptOffset] ^= delivery.corruptMask;
  }
}

void LinkRelay::send(const DelayQueue::Copy& copy) {
  Direction& direction = copy.up ? up_ : down_;
  ssize_t n = -1;
  do {
    if (copy.up) {
      n = ::send(targetSocketHandle(), copy.bytes.data(), copy.bytes.size(), MSG_DONTWAIT);
    } else {
      n = ::sendto(clientSocketHandle(), copy.bytes.data(), copy.bytes.size(), MSG_DONTWAIT,
                   clientName_.name(), clientName_.length());
    }
  } while (n < 0 && errno == EINTR);
  // A refused copy (ICMP unreachable, a full socket buffer) is lost; the
  // relay goes on.
  const bool sent = n == static_cast<ssize_t>(copy.bytes.size());
  std::lock_guard lock(mutex_);
  ++(sent ? direction.counters.sent : direction.counters.sendErrors);
  if (!sent && copy.control) ++direction.counters.controlSendErrors;
}

}  // namespace pigeon::link
