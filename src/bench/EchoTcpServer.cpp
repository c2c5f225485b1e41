#include "bench/EchoTcpServer.h"

#include "bench/EchoAnswer.h"
#include "bench/EchoStamp.h"
#include "bench/SourceKey.h"
#include "transport/Endpoint.h"
#include "wire/Clock.h"
#include "wire/Codec.h"
#include "wire/StreamFramer.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <iostream>

namespace pigeon::bench {

namespace {

constexpr std::uint64_t kListenerTag = 0;
constexpr int kMaxEvents = 256;
constexpr std::size_t kMaxAcceptsPerTurn = 64;
constexpr int kWaitMs = 10;                         // how soon `stop` is seen
constexpr std::int64_t kSweepNs = 50'000'000;       // timeouts looked at this often
constexpr std::int64_t kUndecidedNs = 200'000'000;  // a lone 'P' then silence: plain
constexpr std::size_t kMaxStampedLine = 4096;       // a longer line is answered in pieces

bool wouldBlock() { return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR; }

}  // namespace

// One connection. Its socket is its own (TcpListener::acceptSocket, not a
// TcpTransport: the loop reads and writes it itself).
struct EchoTcpServer::Client {
  std::uint64_t tag = 0;
  int fd = -1;
  Poco::Net::SocketAddress peer;
  std::string source;  // SourceKey::rateLimited of the peer
  enum class Kind { kUnknown, kPlain, kPigeon } kind = Kind::kUnknown;
  wire::Bytes undecided;  // first bytes, until they tell plain from pigeon
  wire::StreamFramer framer;
  std::unique_ptr<EchoProbes> probes;  // made at its first frame
  std::string line;                    // --stamp: the plain line so far
  wire::Bytes out;                     // replies not yet sent
  std::size_t outPos = 0;
  std::uint32_t events = 0;  // what the set watches for it now
  std::int64_t lastActiveNs = 0;
  std::int64_t fullSinceNs = 0;  // when the queue was last seen full; 0: not full
  bool closing = false;
  // The peer shut its sending side (nc -N, a script's shutdown(SHUT_WR)):
  // nothing more to read, but what it sent is still answered, then closed.
  bool inputEnded = false;

  std::size_t queued() const { return out.size() - outPos; }
};

EchoTcpServer::EchoTcpServer(const Poco::Net::SocketAddress& local, const EchoOptions& options)
    : options_(options), listener_(local), buffer_(64 * 1024) {
  events_.add(listener_.nativeHandle(), EPOLLIN, kListenerTag);
}

EchoTcpServer::~EchoTcpServer() {
  for (auto& [tag, c] : clients_) ::close(c->fd);
}

EchoCounters EchoTcpServer::counters() const {
  std::lock_guard lock(mutex_);
  return published_;
}

void EchoTcpServer::publish() {
  std::lock_guard lock(mutex_);
  published_ = counts_;
}

bool EchoTcpServer::admit(const std::string& source, const Poco::Net::SocketAddress& peer,
                          std::int64_t nowNs) {
  const bool full = clients_.size() >= options_.maxConnections;
  const auto found = perSource_.find(source);
  const bool sourceFull =
      found != perSource_.end() && found->second >= options_.maxConnectionsPerSource;
  if (!full && !sourceFull) return true;
  ++counts_.refused;                                // full: the newest is refused
  if (nowNs - lastRefusalLogNs_ > 1'000'000'000) {  // at most once a second
    lastRefusalLogNs_ = nowNs;
    std::cerr << "* echo: refusing tcp from " << transport::formatAddress(peer)
              << (full ? ": serving the most connections allowed ("
                       : ": that address has the most connections allowed (")
              << (full ? options_.maxConnections : options_.maxConnectionsPerSource) << ")"
              << std::endl;
  }
  return false;
}

void EchoTcpServer::acceptWaiting(std::int64_t nowNs) {
  for (std::size_t i = 0; i < kMaxAcceptsPerTurn; ++i) {
    const auto [fd, peer] = listener_.acceptSocket();
    if (fd < 0) return;  // none waiting (or out of descriptors: later)
    std::string source = SourceKey::rateLimited(peer);
    if (!admit(source, peer, nowNs)) {
      ::close(fd);
      continue;
    }
    // Replies are small and a round trip is what is measured: no Nagle.
    int on = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    ++perSource_[source];
    ++counts_.peers;
    auto c = std::make_unique<Client>();
    c->tag = nextTag_++;
    c->fd = fd;
    c->peer = peer;
    c->source = std::move(source);
    c->lastActiveNs = nowNs;
    c->events = EPOLLIN;
    events_.add(fd, c->events, c->tag);
    clients_.emplace(c->tag, std::move(c));
  }
}

// Plain text from `c`: echoed as it came, or (stamping) each line with the
// time it came.
void EchoTcpServer::takePlain(Client& c, wire::ByteSpan bytes) {
  if (!options_.stampLines) {
    c.out.insert(c.out.end(), bytes.begin(), bytes.end());
    ++counts_.reflected;
    return;
  }
  for (const std::uint8_t byte : bytes) {
    if (byte != '\n') {
      c.line.push_back(static_cast<char>(byte));
      if (c.line.size() < kMaxStampedLine) continue;
    }
    if (!c.line.empty() && c.line.back() == '\r') c.line.pop_back();  // telnet's CRLF
    const std::string reply = stampedLine(c.line, std::time(nullptr));
    c.out.insert(c.out.end(), reply.begin(), reply.end());
    c.line.clear();
    ++counts_.reflected;
  }
}

void EchoTcpServer::take(Client& c, wire::ByteSpan chunk, std::int64_t nowNs) {
  if (c.kind == Client::Kind::kUnknown) {
    c.undecided.insert(c.undecided.end(), chunk.begin(), chunk.end());
    if (!wire::startsLikeFrame(c.undecided)) {
      c.kind = Client::Kind::kPlain;
      takePlain(c, c.undecided);
    } else if (c.undecided.size() >= 3) {
      c.kind = Client::Kind::kPigeon;
      c.framer.append(c.undecided);
    }
    if (c.kind != Client::Kind::kUnknown) wire::Bytes().swap(c.undecided);
  } else if (c.kind == Client::Kind::kPlain) {
    takePlain(c, chunk);
  } else {
    c.framer.append(chunk);
  }
  while (c.kind == Client::Kind::kPigeon && !c.closing) {
    const auto r = c.framer.next();
    if (r.status == wire::StreamFramer::Status::kNeedMore) break;
    if (r.status == wire::StreamFramer::Status::kError) {
      ++counts_.malformed;
      markClosing(c);
      break;
    }
    if (!c.probes) c.probes = std::make_unique<EchoProbes>();
    const auto reply = answerFrame(*c.probes, r.frame, nowNs);
    if (!reply) {
      ++counts_.ignored;
      continue;
    }
    wire::appendFrame(reply->header, reply->payload, c.out);
    ++counts_.reflected;
  }
}

// What has not been answered yet is, as it stands: the first bytes that
// never told plain from pigeon, a last line without its "\n".
void EchoTcpServer::endInput(Client& c) {
  c.inputEnded = true;
  if (c.kind != Client::Kind::kPigeon && !c.undecided.empty()) {
    c.kind = Client::Kind::kPlain;
    takePlain(c, c.undecided);
    wire::Bytes().swap(c.undecided);
  }
  if (c.kind == Client::Kind::kPlain && options_.stampLines && !c.line.empty()) {
    const std::uint8_t newline = '\n';
    takePlain(c, wire::ByteSpan(&newline, 1));
  }
}

void EchoTcpServer::readFrom(Client& c, std::int64_t nowNs) {
  if (c.inputEnded) return;
  const ssize_t n = ::recv(c.fd, buffer_.data(), buffer_.size(), MSG_DONTWAIT);
  if (n == 0) {
    endInput(c);
  } else if (n < 0) {
    if (!wouldBlock()) markClosing(c);
  } else {
    c.lastActiveNs = nowNs;
    take(c, wire::ByteSpan(buffer_).first(static_cast<std::size_t>(n)), nowNs);
  }
}

void EchoTcpServer::flush(Client& c) {
  if (c.closing) return;
  if (c.queued() > 0) {
    const ssize_t n =
        ::send(c.fd, c.out.data() + c.outPos, c.queued(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      c.outPos += static_cast<std::size_t>(n);
    } else if (n < 0 && !wouldBlock()) {
      markClosing(c);
      return;
    }
  }
  if (c.outPos == c.out.size()) {
    c.out.clear();
    c.outPos = 0;
  } else if (c.outPos * 2 > c.out.size()) {  // keep the queue from growing
    c.out.erase(c.out.begin(), c.out.begin() + static_cast<std::ptrdiff_t>(c.outPos));
    c.outPos = 0;
  }
  if (c.inputEnded && c.queued() == 0) {
    markClosing(c);  // all it sent is answered
    return;
  }
  watch(c);
}

void EchoTcpServer::watch(Client& c) {
  std::uint32_t wanted = 0;
  if (c.queued() < options_.maxQueuedBytes && !c.inputEnded) wanted |= EPOLLIN;  // back-pressure
  if (c.queued() > 0) wanted |= EPOLLOUT;
  if (wanted != c.events) {
    c.events = wanted;
    events_.modify(c.fd, wanted, c.tag);
  }
}

void EchoTcpServer::sweep(std::int64_t nowNs) {
  for (auto& [tag, client] : clients_) {
    Client& c = *client;
    if (c.closing) continue;
    if (c.kind == Client::Kind::kUnknown && !c.undecided.empty() &&
        nowNs - c.lastActiveNs > kUndecidedNs) {
      c.kind = Client::Kind::kPlain;  // a lone 'P' or "PG", then silence
      takePlain(c, c.undecided);
      wire::Bytes().swap(c.undecided);
      flush(c);
      if (c.closing) continue;
    }
    if (c.queued() >= options_.maxQueuedBytes) {
      if (c.fullSinceNs == 0) c.fullSinceNs = nowNs;
    } else {
      c.fullSinceNs = 0;
    }
    if (c.fullSinceNs != 0 && nowNs - c.fullSinceNs > options_.stalledTimeoutNs) {
      ++counts_.closedStalled;
      std::cerr << "* echo: closing tcp from " << transport::formatAddress(c.peer)
                << ": its replies have not been read for "
                << options_.stalledTimeoutNs / 1'000'000'000 << " s" << std::endl;
      markClosing(c);
    } else if (c.queued() == 0 && nowNs - c.lastActiveNs > options_.idleTimeoutNs) {
      ++counts_.closedIdle;
      markClosing(c);
    }
  }
}

void EchoTcpServer::markClosing(Client& c) {
  if (c.closing) return;
  c.closing = true;
  closing_.push_back(c.tag);
}

void EchoTcpServer::closeMarked() {
  for (const std::uint64_t tag : closing_) {
    const auto it = clients_.find(tag);
    if (it == clients_.end()) continue;
    Client& c = *it->second;
    const auto source = perSource_.find(c.source);
    if (source != perSource_.end() && --source->second == 0) perSource_.erase(source);
    events_.remove(c.fd);
    ::close(c.fd);
    clients_.erase(it);
  }
  closing_.clear();
}

void EchoTcpServer::run(const std::atomic<bool>& stop) {
  std::vector<epoll_event> ready;
  std::int64_t lastSweepNs = wire::steadyNowNs();
  while (!stop) {
    events_.wait(ready, kMaxEvents, kWaitMs);
    const std::int64_t now = wire::steadyNowNs();
    for (const epoll_event& event : ready) {
      if (event.data.u64 == kListenerTag) {
        acceptWaiting(now);
        continue;
      }
      const auto it = clients_.find(event.data.u64);
      if (it == clients_.end() || it->second->closing) continue;
      Client& c = *it->second;
      if ((event.events & EPOLLERR) != 0) {
        markClosing(c);  // reset: nothing more can go either way
        continue;
      }
      if ((event.events & (EPOLLIN | EPOLLHUP)) != 0) readFrom(c, now);
      // At once, not at the next turn: the reply to what was just read,
      // or what the kernel can take again.
      flush(c);
    }
    if (now - lastSweepNs >= kSweepNs) {
      lastSweepNs = now;
      sweep(now);
    }
    closeMarked();
    publish();
  }
  for (auto& [tag, c] : clients_) markClosing(*c);
  closeMarked();
  publish();
}

}  // namespace pigeon::bench
