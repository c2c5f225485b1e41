#include "link/LinkRelay.h"

#include "wire/Clock.h"
#include "wire/Codec.h"
#include "wire/Header.h"

#include <Poco/Net/NetException.h>
#include <Poco/Net/PollSet.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>

namespace pigeon::link {

namespace {

// How long the thread waits at most before it looks at stopRequested_.
constexpr std::int64_t kMaxWaitNs = 20'000'000;
constexpr std::size_t kMaxDatagramBytes = 65536;
// The relay's own backlog of copies waiting to be due: beyond it, dropped.
constexpr std::size_t kMaxBacklogBytes = 64u << 20;
constexpr std::size_t kMaxBacklogCopies = 1u << 18;
// Reads per socket per turn, so a flood on one side cannot starve the other
// side or the sending of due copies.
constexpr int kMaxReadsPerTurn = 64;

// The min-heap order: the copy due last is "greatest" for std::push_heap.
template <typename Pending>
bool dueLater(const Pending& a, const Pending& b) {
  return a.dueNs != b.dueNs ? a.dueNs > b.dueNs : a.order > b.order;
}

// An error the network sends back (ICMP) about earlier datagrams; the
// socket stays usable.
bool isNetworkError(const Poco::Exception& e) {
  switch (e.code()) {
    case ECONNREFUSED:
    case ECONNRESET:
    case EHOSTUNREACH:
    case ENETUNREACH:
    case EHOSTDOWN:
      return true;
    default:
      return dynamic_cast<const Poco::Net::ConnectionRefusedException*>(&e) != nullptr;
  }
}

Poco::Net::DatagramSocket boundSocket(const Poco::Net::SocketAddress& listen) {
  Poco::Net::DatagramSocket socket(listen.family());
  if (listen.family() == Poco::Net::SocketAddress::IPv6 && listen.host().isWildcard()) {
    socket.impl()->bind6(listen, false, false, /*ipV6Only=*/false);
  } else {
    socket.bind(listen, false);
  }
  socket.setBlocking(false);
  return socket;
}

Poco::Net::DatagramSocket connectedSocket(const Poco::Net::SocketAddress& target) {
  Poco::Net::DatagramSocket socket(target.family());
  socket.connect(target);
  socket.setBlocking(false);
  return socket;
}

// True for a pigeon frame of a control type: it carries no message, so its
// loss is no message lost. Only the type byte is read, after the checks that
// say it is a frame at all; the rest of a datagram is never interpreted.
bool isControlFrame(const unsigned char* data, std::size_t size) {
  if (size < wire::kHeaderSize || !wire::startsLikeFrame({data, size})) return false;
  using wire::MessageType;
  switch (static_cast<MessageType>(data[3])) {
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
  std::vector<unsigned char> buffer(kMaxDatagramBytes);
  Poco::Net::PollSet sockets;
  sockets.add(clientSocket_, Poco::Net::PollSet::POLL_READ);
  sockets.add(targetSocket_, Poco::Net::PollSet::POLL_READ);
  while (!stopRequested_) {
    sendDue(wire::steadyNowNs());
    std::int64_t waitNs = kMaxWaitNs;
    if (!heap_.empty()) {
      waitNs = std::clamp<std::int64_t>(heap_.front().dueNs - wire::steadyNowNs(), 0, kMaxWaitNs);
    }
    // The wait is in whole milliseconds, rounded down: the last part of a
    // wait is spent polling with a zero timeout, so no copy leaves late.
    for (const auto& [socket, mode] : sockets.poll(Poco::Timespan(waitNs / 1000))) {
      if (socket == clientSocket_) {
        readFromClient(buffer);
      } else {
        readFromTarget(buffer);
      }
    }
  }
}

void LinkRelay::readFromClient(std::vector<unsigned char>& buffer) {
  for (int i = 0; i < kMaxReadsPerTurn; ++i) {
    Poco::Net::SocketAddress from;
    int n = -1;
    try {
      n = clientSocket_.receiveFrom(buffer.data(), static_cast<int>(buffer.size()), from);
    } catch (const Poco::TimeoutException&) {
      return;  // nothing more to read
    } catch (const Poco::Exception& e) {
      if (!isNetworkError(e)) throw;
      continue;
    }
    if (n < 0) return;
    {
      std::lock_guard lock(mutex_);
      if (!client_) client_ = from;
      if (!(from == *client_)) {
        ++up_.counters.ignored;
        continue;
      }
    }
    admit(true, buffer.data(), static_cast<std::size_t>(n));
  }
}

void LinkRelay::readFromTarget(std::vector<unsigned char>& buffer) {
  for (int i = 0; i < kMaxReadsPerTurn; ++i) {
    int n = -1;
    try {
      n = targetSocket_.receiveBytes(buffer.data(), static_cast<int>(buffer.size()));
    } catch (const Poco::TimeoutException&) {
      return;
    } catch (const Poco::Exception& e) {
      if (!isNetworkError(e)) throw;
      // The target is not listening (ICMP port unreachable): an up copy
      // sent earlier did not arrive.
      std::lock_guard lock(mutex_);
      ++up_.counters.unreachable;
      continue;
    }
    if (n < 0) return;
    {
      std::lock_guard lock(mutex_);
      if (!client_) {
        ++down_.counters.ignored;  // nobody to send it to yet
        continue;
      }
    }
    admit(false, buffer.data(), static_cast<std::size_t>(n));
  }
}

void LinkRelay::admit(bool up, const unsigned char* data, std::size_t size) {
  Direction& direction = up ? up_ : down_;
  const bool control = isControlFrame(data, size);
  deliveries_.clear();
  {
    std::lock_guard lock(mutex_);
    ++direction.counters.received;
    const std::uint64_t droppedBefore = direction.model.counters().dropped();
    direction.model.onPacket(wire::steadyNowNs(), size, deliveries_);
    if (control) {
      ++direction.counters.controlReceived;
      direction.counters.controlDropped += direction.model.counters().dropped() - droppedBefore;
    }
  }
  for (const Delivery& delivery : deliveries_) {
    if (heap_.size() >= kMaxBacklogCopies || heapBytes_ + size > kMaxBacklogBytes) {
      std::lock_guard lock(mutex_);
      ++direction.counters.overflow;
      if (control) ++direction.counters.controlOverflow;
      continue;
    }
    Pending pending{delivery.deliverAtNs, nextOrder_++, up, control, {data, data + size}};
    if (delivery.corrupt) pending.bytes[delivery.corruptOffset] ^= delivery.corruptMask;
    heap_.push_back(std::move(pending));
    std::push_heap(heap_.begin(), heap_.end(), dueLater<Pending>);
    heapBytes_ += size;
  }
}

void LinkRelay::sendDue(std::int64_t nowNs) {
  while (!heap_.empty() && heap_.front().dueNs <= nowNs) {
    std::pop_heap(heap_.begin(), heap_.end(), dueLater<Pending>);
    Pending pending = std::move(heap_.back());
    heap_.pop_back();
    heapBytes_ -= pending.bytes.size();
    send(pending);
  }
}

void LinkRelay::send(Pending& pending) {
  Direction& direction = pending.up ? up_ : down_;
  const int size = static_cast<int>(pending.bytes.size());
  bool sent = false;
  try {
    if (pending.up) {
      sent = targetSocket_.sendBytes(pending.bytes.data(), size) == size;
    } else {
      const auto to = client();
      sent = to && clientSocket_.sendTo(pending.bytes.data(), size, *to) == size;
    }
  } catch (const Poco::Exception&) {
    // ICMP unreachable, a full socket buffer: this copy is lost, the relay goes on
  }
  std::lock_guard lock(mutex_);
  ++(sent ? direction.counters.sent : direction.counters.sendErrors);
  if (!sent && pending.control) ++direction.counters.controlSendErrors;
}

}  // namespace pigeon::link
