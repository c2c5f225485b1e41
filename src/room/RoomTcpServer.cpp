#include "room/RoomTcpServer.h"

#include "bench/SourceKey.h"
#include "room/RoomWire.h"
#include "transport/Endpoint.h"
#include "wire/Clock.h"
#include "wire/Codec.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace pigeon::room {

namespace {

constexpr std::uint64_t kListenerTag = 0;
constexpr int kMaxEvents = 256;
constexpr std::size_t kMaxAcceptsPerTurn = 64;
constexpr std::size_t kMaxFramePayload = 64 * 1024;  // a pigeon frame above this breaks the stream

// A connection whose peer vanished (no FIN, no RST) is found out by TCP
// keepalive within about 90 s, and its member announced as gone.
void keepAlive(int fd) {
  int on = 1;
  int idle = 60;
  int interval = 10;
  int count = 3;
  ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
}

bool wouldBlock() { return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR; }

}  // namespace

RoomTcpServer::RoomTcpServer(const Poco::Net::SocketAddress& local, const RoomLimits& limits,
                             Room::Log log)
    : room_(limits, std::move(log)),
      listener_(local),
      buffer_(64 * 1024),
      maxConnections_(limits.maxMembers + 64) {
  events_.add(listener_.nativeHandle(), EPOLLIN, kListenerTag);
}

RoomTcpServer::~RoomTcpServer() = default;

void RoomTcpServer::acceptWaiting(std::int64_t nowNs) {
  for (std::size_t i = 0; i < kMaxAcceptsPerTurn; ++i) {
    // The socket itself, not a TcpTransport: a thousand of those would hold
    // a 64 KiB read buffer each.
    const transport::TcpListener::AcceptedSocket accepted = listener_.acceptSocket();
    const int fd = accepted.fd;
    if (fd < 0) return;  // none waiting (or out of descriptors: later)
    if (connections_.size() >= maxConnections_) {
      ++room_.counters().refused;  // more connections than could ever join
      ::close(fd);
      continue;
    }
    const Poco::Net::SocketAddress& peer = accepted.peer;
    const MemberId id = nextId_++;
    Connection& c = connections_[id];
    c.id = id;
    c.fd = fd;
    c.address = transport::formatAddress(peer);
    c.addressKey = bench::SourceKey::rateLimited(peer);
    c.framer = wire::StreamFramer(kMaxFramePayload);
    c.acceptedNs = nowNs;
    keepAlive(c.fd);
    events_.add(c.fd, EPOLLIN, id);
  }
}

void RoomTcpServer::joinPigeon(Connection& c, std::string_view nick, std::int64_t nowNs) {
  c.kind = Connection::Kind::kPigeon;
  RoomWire::appendHello(c.out);  // before the room's first line to it
  if (!room_.join(c.id, c.address, c.addressKey, nick, nowNs)) {
    close(c, "room full");
    return;
  }
  c.joined = true;
  relieve();  // a join is a line to everyone
}

void RoomTcpServer::joinPlain(Connection& c, std::int64_t nowNs) {
  c.kind = Connection::Kind::kPlain;
  if (!room_.join(c.id, c.address, c.addressKey, {}, nowNs)) {
    const std::string full = "* the room is full; try again later\n";
    ::send(c.fd, full.data(), full.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    close(c, "room full");
    return;
  }
  c.joined = true;
  relieve();
}

void RoomTcpServer::decide(Connection& c, std::int64_t nowNs) {
  if (c.undecided.empty()) return;
  if (!wire::startsLikeFrame(c.undecided)) {
    joinPlain(c, nowNs);
    wire::Bytes bytes;
    bytes.swap(c.undecided);
    if (c.joined) takePlain(c, bytes, nowNs);
  } else if (c.undecided.size() >= 3) {
    c.kind = Connection::Kind::kPigeon;  // joins with its hello
    c.framer.append(c.undecided);
    wire::Bytes().swap(c.undecided);
    takeFrames(c, nowNs);
  }
}

void RoomTcpServer::takePlain(Connection& c, wire::ByteSpan bytes, std::int64_t nowNs) {
  const std::size_t max = room_.limits().maxLineBytes + 1;  // +1: a '\r' may end it
  std::size_t start = 0;
  while (start < bytes.size() && !c.closing) {
    const auto* begin = bytes.data() + start;
    const auto* newline =
        static_cast<const std::uint8_t*>(std::memchr(begin, '\n', bytes.size() - start));
    const std::size_t length =
        newline == nullptr ? bytes.size() - start : static_cast<std::size_t>(newline - begin);
    if (!c.discardingLine) {
      if (c.line.size() + length > max) {
        room_.tooLong(c.id, c.line.size() + length);  // as far as it has come
        c.line.clear();
        c.discardingLine = true;
      } else {
        c.line.append(reinterpret_cast<const char*>(begin), length);
      }
    }
    if (newline == nullptr) return;
    if (!c.discardingLine) heard(c, c.line, nowNs);
    c.line.clear();
    c.discardingLine = false;
    start += length + 1;
  }
}

void RoomTcpServer::takeFrames(Connection& c, std::int64_t nowNs) {
  while (!c.closing) {
    const auto r = c.framer.next();
    if (r.status == wire::StreamFramer::Status::kNeedMore) return;
    if (r.status == wire::StreamFramer::Status::kError) {
      ++room_.counters().malformed;
      close(c, "broke the protocol: " + std::string(wire::describe(r.error)));
      return;
    }
    const wire::Frame& frame = r.frame;
    const auto text =
        std::string_view(reinterpret_cast<const char*>(frame.payload.data()), frame.payload.size());
    if (!c.joined) {
      joinPigeon(c, frame.header.type == wire::MessageType::kHello ? text : std::string_view{},
                 nowNs);
      if (!c.joined || frame.header.type == wire::MessageType::kHello) continue;
    }
    if (room_.frame(c.id, frame.header.type, frame.header.streamId, text, nowNs) ==
        Room::Heard::kQuit) {
      close(c, "");
    }
    relieve();
  }
}

void RoomTcpServer::heard(Connection& c, std::string_view line, std::int64_t nowNs) {
  if (room_.hear(c.id, line, nowNs) == Room::Heard::kQuit) close(c, "");
  relieve();
}

void RoomTcpServer::relieve() {
  if (++heardSinceFlush_ >= std::max<std::size_t>(1, room_.limits().queueLines / 2)) flushReady();
}

void RoomTcpServer::flushReady() {
  heardSinceFlush_ = 0;
  for (const MemberId id : room_.takeReady()) {
    const auto it = connections_.find(id);
    if (it != connections_.end()) flush(it->second);
  }
}

void RoomTcpServer::readFrom(Connection& c, std::int64_t nowNs) {
  const ssize_t n = ::recv(c.fd, buffer_.data(), buffer_.size(), MSG_DONTWAIT);
  if (n == 0) {
    close(c, "connection closed");
    return;
  }
  if (n < 0) {
    if (!wouldBlock()) close(c, "connection lost");
    return;
  }
  const auto chunk = wire::ByteSpan(buffer_).first(static_cast<std::size_t>(n));
  switch (c.kind) {
    case Connection::Kind::kUndecided:
      c.undecided.insert(c.undecided.end(), chunk.begin(), chunk.end());
      decide(c, nowNs);
      break;
    case Connection::Kind::kPlain:
      takePlain(c, chunk, nowNs);
      break;
    case Connection::Kind::kPigeon:
      c.framer.append(chunk);
      takeFrames(c, nowNs);
      break;
  }
}

void RoomTcpServer::fill(Connection& c) {
  MemberQueue* queue = room_.queue(c.id);
  if (queue == nullptr) return;
  while (!queue->empty() && c.out.size() - c.outPos < kOutBufferBytes) {
    if (c.kind == Connection::Kind::kPlain) {
      RoomWire::appendPlain(queue->front(), c.expected, c.out);
    } else {
      RoomWire::appendFrame(queue->front(), c.out);
    }
    queue->pop();
  }
}

void RoomTcpServer::flush(Connection& c) {
  if (c.closing) return;
  fill(c);
  while (c.outPos < c.out.size()) {
    const ssize_t n =
        ::send(c.fd, c.out.data() + c.outPos, c.out.size() - c.outPos, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0) {
      if (!wouldBlock()) close(c, "connection lost");
      break;
    }
    c.outPos += static_cast<std::size_t>(n);
    if (c.outPos == c.out.size()) {
      // A burst (the join of many) may have grown it: give that back.
      if (c.out.capacity() > 2 * kOutBufferBytes) {
        wire::Bytes().swap(c.out);
      } else {
        c.out.clear();
      }
      c.outPos = 0;
      fill(c);  // more waiting in the room's queue
    }
  }
  if (c.outPos > 0 && c.outPos * 2 > c.out.size()) {
    c.out.erase(c.out.begin(), c.out.begin() + static_cast<std::ptrdiff_t>(c.outPos));
    c.outPos = 0;
  }
  MemberQueue* queue = room_.queue(c.id);
  const bool pending = c.outPos < c.out.size() || (queue != nullptr && !queue->empty());
  if (pending != c.writeArmed && !c.closing) {
    c.writeArmed = pending;
    events_.modify(c.fd, EPOLLIN | (pending ? EPOLLOUT : 0u), c.id);
  }
}

void RoomTcpServer::close(Connection& c, std::string why) {
  if (c.closing) return;
  c.closing = true;
  c.goneWhy = std::move(why);
  closing_.push_back(c.id);
}

void RoomTcpServer::sweep(std::int64_t nowNs) {
  for (auto& [id, c] : connections_) {
    if (c.closing || c.joined) continue;
    if (c.kind == Connection::Kind::kUndecided && nowNs - c.acceptedNs > kDecideNs) {
      joinPlain(c, nowNs);  // silent, or a lone 'P': a person at nc
      wire::Bytes bytes;
      bytes.swap(c.undecided);
      if (c.joined) takePlain(c, bytes, nowNs);
    } else if (c.kind == Connection::Kind::kPigeon && nowNs - c.acceptedNs > kJoinTimeoutNs) {
      close(c, "never said hello");
    }
  }
}

void RoomTcpServer::run(const std::atomic<bool>& stop) {
  std::vector<epoll_event> ready;
  std::int64_t lastFlushNs = 0;
  std::int64_t lastSweepNs = 0;
  while (!stop) {
    events_.wait(ready, kMaxEvents, 5);
    std::int64_t now = wire::steadyNowNs();
    for (const epoll_event& event : ready) {
      if (event.data.u64 == kListenerTag) {
        acceptWaiting(now);
        continue;
      }
      const auto it = connections_.find(event.data.u64);
      if (it == connections_.end() || it->second.closing) continue;
      Connection& c = it->second;
      if ((event.events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0) readFrom(c, now);
      if ((event.events & EPOLLOUT) != 0) flush(c);
    }
    now = wire::steadyNowNs();
    if (now - lastSweepNs > 50'000'000) {
      lastSweepNs = now;
      sweep(now);
    }
    // Lines gathered for a few ms go out together: one send per member.
    if (now - lastFlushNs >= kFlushIntervalNs || ready.empty()) {
      lastFlushNs = now;
      flushReady();
    }
    // Closing one may tell others (and close more): until none is left.
    while (!closing_.empty()) {
      const MemberId id = closing_.back();
      closing_.pop_back();
      const auto it = connections_.find(id);
      if (it == connections_.end()) continue;
      Connection& c = it->second;
      if (c.joined) room_.leave(id, c.goneWhy);
      events_.remove(c.fd);
      ::close(c.fd);
      connections_.erase(it);
    }
    publish(room_);
  }
  closeAll();
}

void RoomTcpServer::closeAll() {
  for (auto& [id, c] : connections_) {
    if (c.joined) {
      wire::Bytes last;
      if (c.kind == Connection::Kind::kPlain) {
        const std::string text = "* the room is closing\n";
        last.assign(text.begin(), text.end());
      } else if (const MemberQueue* queue = room_.queue(id)) {
        RoomWire::appendBye(queue->nextSequence(), last);
      }
      // After what is half sent, never inside it.
      c.out.insert(c.out.end(), last.begin(), last.end());
      ::send(c.fd, c.out.data() + c.outPos, c.out.size() - c.outPos, MSG_DONTWAIT | MSG_NOSIGNAL);
    }
    events_.remove(c.fd);
    ::close(c.fd);
  }
  connections_.clear();
  publish(room_);
}

}  // namespace pigeon::room
