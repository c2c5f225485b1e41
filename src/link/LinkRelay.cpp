#include "link/LinkRelay.h"

#include "link/TimingPriority.h"
#include "transport/Endpoint.h"
#include "transport/SocketErrors.h"
#include "transport/SocketStats.h"
#include "transport/UdpTransport.h"
#include "wire/Clock.h"
#include "wire/Codec.h"
#include "wire/Header.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>

namespace pigeon::link {

namespace {

// How long the thread waits at most before it looks at stopRequested_.
constexpr std::int64_t kMaxWaitNs = 20'000'000;
// How long a socket with traffic flowing may stay unread (WakePlanner): at
// 100,000 datagrams/s, 100 of them, which its default buffer holds.
constexpr std::int64_t kMaxUnreadNs = 1'000'000;
// A read takes up to kBatch datagrams of any size UDP carries; a send as many.
constexpr std::size_t kBatch = 32;
constexpr std::size_t kMaxDatagramBytes = 65536;
// The relay's own backlog of copies waiting to be due: beyond it, dropped.
constexpr std::size_t kMaxBacklogBytes = 64u << 20;
constexpr std::size_t kMaxBacklogCopies = 1u << 18;
// What each socket asks the kernel to hold (SO_RCVBUF, beyond rmem_max when
// privileged). With the default, about 200 KiB, a window of rudp file
// chunks (2 MiB) that came while the thread was off the CPU overflowed the
// socket: drops the model never decided. The model's own queue (rate=,
// queue=) is where a link should drop for want of room.
constexpr int kSocketBufferBytes = 4 << 20;
// Batches read per socket per turn.
constexpr int kMaxBatchesPerTurn = 4;
constexpr std::size_t kMaxReadPerTurn = kMaxBatchesPerTurn * kBatch;

Poco::Net::DatagramSocket boundSocket(const Poco::Net::SocketAddress& listen) {
  Poco::Net::DatagramSocket socket(listen.family());
  transport::bindDatagramSocket(socket, listen);
  socket.setBlocking(false);
  transport::enlargeReceiveBuffer(socket.impl()->sockfd(), kSocketBufferBytes);
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
  transport::enlargeReceiveBuffer(socket.impl()->sockfd(), kSocketBufferBytes);
  return socket;
}

// True for a pigeon frame of a control type, or a keepalive (an empty data
// frame on the control stream, docs/protocol.md): it carries no message, so
// its loss is no message lost. Only the header is read, after the checks
// that say it is a frame at all; the payload is never interpreted. A data
// frame longer than a header (and CRC) has a payload: not a keepalive, and
// the relay's every message goes by without its header decoded.
bool isControlFrame(wire::ByteSpan datagram) {
  if (datagram.size() < wire::kHeaderSize || !wire::startsLikeFrame(datagram)) return false;
  using wire::MessageType;
  if (static_cast<MessageType>(datagram[3]) == MessageType::kData) {
    wire::Header header;
    return datagram.size() <= wire::kHeaderSize + wire::kCrcSize &&
           wire::decodeHeader(datagram, wire::kMaxDatagramPayload, header) ==
               wire::DecodeError::kNone &&
           header.payloadLength == 0 && header.streamId == wire::kControlStreamId;
  }
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
      up_{ImpairmentModel(spec.up, 0), {}, {}},
      down_{ImpairmentModel(spec.down, 1), {}, {}},
      batch_(kBatch, kMaxDatagramBytes),
      queue_(kMaxBacklogCopies, kMaxBacklogBytes),
      planner_({kMaxUnreadNs, kMaxWaitNs}, {up_.model.minDelayNs(), down_.model.minDelayNs()}),
      upOut_(kBatch, kMaxDatagramBytes),
      downOut_(kBatch, kMaxDatagramBytes),
      runnable_(*this, &LinkRelay::run),
      thread_("link relay") {
  // Only a socket the relay may leave unread (its direction delays every
  // copy: WakePlanner) needs the kernel's stamps; a socket it always reads
  // at once is stamped as well by the read, without their cost. Where the
  // kernel refuses, a datagram counts as arriving when it is read: still
  // correct, only later by however long it waited.
  if (up_.model.minDelayNs() > 0) batch_.stampArrivals(clientSocketHandle());
  if (down_.model.minDelayNs() > 0) batch_.stampArrivals(targetSocketHandle());
}

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
  // A copy's departure is a wake-up of this thread: on a busy machine a
  // normal thread's wake-up can come milliseconds late (the p99 of added
  // delay), a real-time one's seldom does.
  realtime_ = raiseToTimingPriority();
  const int fds[2] = {clientSocketHandle(), targetSocketHandle()};
  std::array<bool, 2> read{false, false};  // per socket: read it this turn
  // Per socket: when a read last found datagrams.
  std::array<std::int64_t, 2> lastDataNs{WakePlanner::kNever, WakePlanner::kNever};
  while (!stopRequested_) {
    const std::array<std::size_t, 2> got{read[0] ? readFromClient() : 0,
                                         read[1] ? readFromTarget() : 0};
    sendDue(wire::steadyNowNs());
    const std::int64_t nowNs = wire::steadyNowNs();
    for (std::size_t i = 0; i < 2; ++i) {
      // A socket with more queued than one turn reads is watched, so that
      // ppoll returns at once for the rest.
      if (got[i] >= kMaxReadPerTurn)
        lastDataNs[i] = WakePlanner::kNever;
      else if (got[i] > 0)
        lastDataNs[i] = nowNs;
    }
    const WakePlanner::Wake wake = planner_.plan(nowNs, queue_.nextDueNs(), lastDataNs);
    // ppoll ignores a negative descriptor: a socket not watched is read at
    // the wake.
    pollfd sockets[2] = {{wake.watch[0] ? fds[0] : -1, POLLIN, 0},
                         {wake.watch[1] ? fds[1] : -1, POLLIN, 0}};
    const std::int64_t waitNs = std::max<std::int64_t>(0, wake.atNs - nowNs);
    const timespec wait{static_cast<time_t>(waitNs / 1'000'000'000),
                        static_cast<long>(waitNs % 1'000'000'000)};
    if (::ppoll(sockets, 2, &wait, nullptr) < 0) {
      if (errno != EINTR) throw std::runtime_error("ppoll: " + std::string(std::strerror(errno)));
      read = {!wake.watch[0], !wake.watch[1]};
      continue;
    }
    for (std::size_t i = 0; i < 2; ++i) read[i] = !wake.watch[i] || sockets[i].revents != 0;
  }
  queue_.clear();
}

std::size_t LinkRelay::readFromClient() {
  const int fd = clientSocketHandle();
  std::size_t read = 0;
  for (int turn = 0; turn < kMaxBatchesPerTurn; ++turn) {
    const int n = batch_.receiveQueued(fd);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return read;
      if (transport::isNetworkError(errno)) continue;
      throw transport::datagramError(errno, client().value_or(address_), /*sending=*/false);
    }
    if (n == 0) return read;
    read += static_cast<std::size_t>(n);
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
      admit(true, batch_.datagram(i), batch_.arrivalNs(i));
    }
    if (batch_.datagrams() < batch_.capacity()) return read;  // nothing more queued
  }
  return read;
}

std::size_t LinkRelay::readFromTarget() {
  const int fd = targetSocketHandle();
  std::size_t read = 0;
  for (int turn = 0; turn < kMaxBatchesPerTurn; ++turn) {
    const int n = batch_.receiveQueued(fd);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return read;
      if (transport::isNetworkError(errno)) {
        // The target is not listening (ICMP port unreachable): an up copy
        // sent earlier did not arrive.
        std::lock_guard lock(mutex_);
        ++up_.counters.unreachable;
        continue;
      }
      throw transport::datagramError(errno, target_, /*sending=*/false);
    }
    if (n == 0) return read;
    read += static_cast<std::size_t>(n);
    for (std::size_t i = 0; i < batch_.datagrams(); ++i) {
      if (clientName_.empty()) {
        std::lock_guard lock(mutex_);
        ++down_.counters.ignored;  // nobody to send it to yet
        continue;
      }
      admit(false, batch_.datagram(i), batch_.arrivalNs(i));
    }
    if (batch_.datagrams() < batch_.capacity()) return read;
  }
  return read;
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

void LinkRelay::sendDue(std::int64_t untilNs) {
  std::uint64_t lateUp = 0;
  std::uint64_t lateDown = 0;
  queue_.releaseDue(untilNs, [&](const DelayQueue::Copy& copy) {
    RelayOutbox& out = copy.up ? upOut_ : downOut_;
    if (out.full()) flush(copy.up);
    out.add(copy.bytes, copy.control);
    if (!(copy.up ? up_ : down_).leftInOrder.left(copy.order)) ++(copy.up ? lateUp : lateDown);
  });
  if (lateUp + lateDown > 0) {
    std::lock_guard lock(mutex_);
    up_.counters.reordered += lateUp;
    down_.counters.reordered += lateDown;
  }
  if (!upOut_.empty()) flush(true);
  if (!downOut_.empty()) flush(false);
}

void LinkRelay::flush(bool up) {
  // A refused copy (ICMP unreachable, a full socket buffer) is lost; the
  // relay goes on.
  const RelayOutbox::Tally tally = up ? upOut_.flush(targetSocketHandle(), {})
                                      : downOut_.flush(clientSocketHandle(), clientName_);
  Direction& direction = up ? up_ : down_;
  std::lock_guard lock(mutex_);
  direction.counters.sent += tally.sent;
  direction.counters.sendErrors += tally.refused;
  direction.counters.controlSendErrors += tally.controlRefused;
}

}  // namespace pigeon::link
