#include "bench/EchoReflector.h"

#include "bench/BenchSink.h"
#include "bench/EchoStamp.h"
#include "bench/SourceKey.h"
#include "transport/DatagramBatch.h"
#include "transport/Endpoint.h"
#include "transport/SocketStats.h"
#include "transport/TransportFactory.h"
#include "transport/UdpTransport.h"
#include "transport/rudp/RudpCodec.h"
#include "wire/Clock.h"
#include "wire/Crc32.h"
#include "wire/StreamFramer.h"

#include <Poco/Thread.h>

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <iostream>
#include <list>
#include <stdexcept>
#include <unordered_map>
#include <vector>

namespace pigeon::bench {

using wire::MessageType;

namespace {
const Poco::Timespan kPoll(0, 20'000);
constexpr std::size_t kUdpBatch = 16;  // datagrams taken per receive

// The rudp echo's per-connection limits (EchoOptions).
transport::rudp::RudpOptions rudpOptions(const EchoOptions& options) {
  transport::rudp::RudpOptions o;
  o.maxConnections = options.maxRudpConnections;
  o.sendWindowMessages = EchoReflector::kRudpWindowMessages;
  o.receiveWindowMessages = EchoReflector::kRudpWindowMessages;
  o.sendTimeoutMs = options.stalledTimeoutNs / 1'000'000;  // replies never acknowledged
  o.closeTimeoutMs = 200;  // the echo stops within a second, whatever its clients do
  return o;
}

// A bucket allows a tenth of a second's worth, and never less than 64, at once.
TokenBucket bucketFor(double ratePerS, std::int64_t nowNs) {
  return TokenBucket(ratePerS, ratePerS / 10 + 64, nowNs);
}
}  // namespace

EchoReflector::EchoReflector(transport::TransportKind kind, const Poco::Net::SocketAddress& local,
                             EchoOptions options)
    : options_(options),
      peers_(options.maxSources),
      distinctSources_(options.maxCountedSources),
      limits_(options.maxSources),
      total_(bucketFor(options.maxRateTotal, wire::steadyNowNs())) {
  if (kind == transport::TransportKind::kUdp) {
    udp_.emplace(local.family());
    transport::bindDatagramSocket(*udp_, local);
    transport::enlargeReceiveBuffer(udp_->impl()->sockfd(), 4 << 20);
  } else {
    if (kind == transport::TransportKind::kTcp) {
      auto listener = std::make_unique<transport::TcpListener>(local);
      tcpListener_ = listener.get();
      tcp_ = std::move(listener);
    } else {
      auto listener = std::make_unique<transport::rudp::RudpAcceptor>(local, rudpOptions(options));
      rudpListener_ = listener.get();
      tcp_ = std::move(listener);
    }
  }
}

EchoReflector::EchoReflector(EchoReflector& udp, EchoOptions options)
    : options_(options),
      peers_(options.maxSources),
      distinctSources_(options.maxCountedSources),
      limits_(options.maxSources),
      total_(bucketFor(options.maxRateTotal, wire::steadyNowNs())) {
  if (!udp.udp_) throw std::invalid_argument("echo: rudp can share only a udp reflector's socket");
  auto listener = std::make_unique<transport::rudp::RudpAcceptor>(*udp.udp_, rudpOptions(options));
  rudpListener_ = listener.get();
  udp.rudpOnUdp_ = rudpListener_;
  tcp_ = std::move(listener);
}

EchoReflector::~EchoReflector() = default;

Poco::Net::SocketAddress EchoReflector::localAddress() const {
  return udp_ ? udp_->address() : tcp_->localAddress();
}

EchoCounters EchoReflector::counters() const {
  std::lock_guard lock(mutex_);
  return counters_;
}

std::size_t EchoReflector::sourcesHeld() const {
  std::lock_guard lock(mutex_);
  return peers_.size();
}

void EchoReflector::count(std::uint64_t EchoCounters::*field) {
  std::lock_guard lock(mutex_);
  ++(counters_.*field);
}

void EchoReflector::countReplies(std::uint64_t replies) {
  if (replies == 0) return;
  std::lock_guard lock(mutex_);
  counters_.reflected += replies;
}

void EchoReflector::run(const std::atomic<bool>& stop) {
  if (udp_) {
    serveUdp(stop);
  } else if (tcpListener_ != nullptr) {
    serveTcpEvents(stop);
  } else {
    serveRudp(stop);
  }
}

EchoReflector::Peer& EchoReflector::peerFor(const transport::SourceAddress& from) {
  bool created = false;
  const std::string key = SourceKey::endpoint(from);
  Peer& peer = peers_.touch(
      key, [] { return Peer{}; }, created);
  // New to the table, or back after it was evicted: only the set can tell.
  if (created && distinctSources_.add(key)) {
    ++counters_.peers;
    counters_.peersAtLeast = distinctSources_.atLeast();
  }
  return peer;
}

bool EchoReflector::takeBudget(const transport::SourceAddress& from, std::int64_t nowNs) {
  bool created = false;
  TokenBucket& bucket = limits_.touch(
      SourceKey::rateLimited(from), [&] { return bucketFor(options_.maxRatePerSource, nowNs); },
      created);
  return bucket.take(nowNs) && total_.take(nowNs);
}

bool EchoReflector::isReturningReply(const Peer& peer, wire::ByteSpan datagram,
                                     std::int64_t nowNs) const {
  const std::uint32_t crc = wire::crc32(datagram);
  for (const auto& sent : peer.sentPlain) {
    if (sent.atNs != 0 && nowNs - sent.atNs < kLoopWindowNs && sent.size == datagram.size() &&
        sent.crc == crc) {
      return true;
    }
  }
  return false;
}

std::optional<EchoReflector::Reply> EchoReflector::answer(Peer& peer, const wire::Frame& frame,
                                                          std::int64_t nowNs) {
  // Another reflector's reply: answering it is how a loop starts.
  if ((frame.header.flags & wire::flags::kReply) != 0) return std::nullopt;
  Reply reply{frame.header, {}};
  reply.header.flags |= wire::flags::kReply;
  if (frame.header.type == MessageType::kEcho) {
    peer.probes.record(frame.header.sequence);
    reply.header.type = MessageType::kEchoReply;
    reply.payload.assign(frame.payload.begin(), frame.payload.end());
    EchoStamps stamps;
    stamps.receivedNs = nowNs;
    stamps.received = peer.probes.unique();
    stamps.seenBelow = peer.seen.record(frame.header.sequence);
    stamps.repliedNs = std::max<std::int64_t>(nowNs, wire::steadyNowNs());
    stampEcho(reply.payload, stamps);
    return reply;
  }
  if (frame.header.type == MessageType::kReport) {
    reply.header.sendTimeNs = static_cast<std::uint64_t>(nowNs);
    reply.payload = encodeCount(peer.probes.unique());
    return reply;
  }
  return std::nullopt;
}

bool EchoReflector::answerDatagram(const transport::SourceAddress& from, wire::ByteSpan datagram,
                                   std::int64_t now, wire::Bytes& reply) {
  Peer& peer = peerFor(from);
  const bool framed = datagram.size() >= 3 && wire::startsLikeFrame(datagram);
  if (!framed && isReturningReply(peer, datagram, now)) {
    ++counters_.looped;
    return false;
  }
  if (!takeBudget(from, now)) {
    ++counters_.rateLimited;
    return false;
  }
  reply.clear();
  if (framed) {
    const auto decoded = wire::decodeDatagram(datagram);
    if (!decoded.ok()) {
      ++counters_.malformed;
      return false;
    }
    if ((decoded.frame.header.flags & wire::flags::kReply) != 0) {
      ++counters_.looped;
      return false;
    }
    const MessageType type = decoded.frame.header.type;
    if (type >= MessageType::kRudpConnect && type <= MessageType::kRudpCloseAck) {
      // rudp's handshake at a port that serves udp only: it would wait in vain.
      ++counters_.ignored;
      if (now - lastRudpNoteNs_ > 1'000'000'000) {  // at most once a second
        lastRudpNoteNs_ = now;
        std::cerr << "* echo udp: " + transport::formatAddress(from.toSocketAddress()) +
                         " is knocking with rudp (its connect handshake) at a port that "
                         "serves udp only: `pigeon echo` (udp, tcp and rudp by default) or "
                         "`pigeon echo -t rudp` serves it\n"
                  << std::flush;
      }
      return false;
    }
    const auto answered = answer(peer, decoded.frame, now);
    if (!answered) {
      ++counters_.ignored;
      return false;
    }
    wire::appendFrame(answered->header, answered->payload, reply);
  } else {
    reply.assign(datagram.begin(), datagram.end());  // plain text, echoed
    peer.sentPlain[peer.nextSent] = {wire::crc32(datagram), datagram.size(), now};
    peer.nextSent = (peer.nextSent + 1) % peer.sentPlain.size();
  }
  if (reply.size() > datagram.size()) {
    ++counters_.ignored;  // never answer with more than was asked
    return false;
  }
  return true;
}

void EchoReflector::serveUdp(const std::atomic<bool>& stop) {
  const int fd = udp_->impl()->sockfd();
  // A blocking recvmmsg that gives up after kPoll: one system call per
  // probe (MSG_WAITFORONE), not a poll and then a read, and a batch when
  // many sources send at once.
  udp_->setReceiveTimeout(kPoll);
  transport::DatagramBatch batch(kUdpBatch, wire::kMaxDatagramSize + 1);
  wire::Bytes reply;  // reused: no allocation per reply
  while (!stop) {
    if (batch.receiveWaiting(fd) <= 0) {
      // A timeout (look at `stop`), or an ICMP error for an earlier reply:
      // that peer is gone. Nothing else can fail on a bound socket.
      continue;
    }
    for (std::size_t i = 0; i < batch.datagrams(); ++i) {
      const transport::SourceAddress from = batch.source(i);
      if (SourceKey::isServerPort(from.port())) {
        count(&EchoCounters::refused);  // before any state is kept for it
        continue;
      }
      if (batch.truncated(i)) {
        count(&EchoCounters::malformed);
        continue;
      }
      if (rudpOnUdp_ != nullptr && transport::rudp::isRudpDatagram(batch.datagram(i))) {
        // rudp's, on our port
        rudpOnUdp_->input(batch.datagram(i), from, wire::steadyNowNs());
        continue;
      }
      bool send = false;
      {
        std::lock_guard lock(mutex_);
        send = answerDatagram(from, batch.datagram(i), wire::steadyNowNs(), reply);
      }
      if (!send) continue;
      ssize_t n = 0;
      do {
        n = ::sendto(fd, reply.data(), reply.size(), 0, from.name(), from.length());
      } while (n < 0 && errno == EINTR);
      // A full buffer or a vanished peer: the reply is lost like on a link.
      if (n == static_cast<ssize_t>(reply.size())) count(&EchoCounters::reflected);
    }
  }
}

void EchoReflector::serveConnection(transport::Transport& connection,
                                    const std::atomic<bool>& stop) {
  Peer peer;
  const Poco::Net::SocketAddress from = connection.peerAddress();
  std::int64_t lastMessageNs = wire::steadyNowNs();
  try {
    while (!stop) {
      const auto in = connection.receive(kPoll);
      const std::int64_t now = wire::steadyNowNs();
      if (in.kind == transport::Incoming::Kind::kClosed ||
          in.kind == transport::Incoming::Kind::kMalformed) {
        if (in.kind == transport::Incoming::Kind::kMalformed) count(&EchoCounters::malformed);
        break;
      }
      if (in.kind == transport::Incoming::Kind::kTimeout) {
        // Keepalives hold a connection open, not a slot: no probe, no connection.
        if (now - lastMessageNs > options_.idleTimeoutNs) {
          count(&EchoCounters::closedIdle);
          break;
        }
        continue;
      }
      lastMessageNs = now;
      {
        std::lock_guard lock(mutex_);
        if (!takeBudget(transport::SourceAddress(from), now)) {
          ++counters_.rateLimited;
          continue;
        }
      }
      if (in.kind == transport::Incoming::Kind::kPlain) {
        connection.sendPlain(in.payload);
        count(&EchoCounters::reflected);
        continue;
      }
      const wire::Frame frame{in.header, in.payload};
      const auto reply = answer(peer, frame, now);
      if (!reply) {
        count(&EchoCounters::ignored);
        continue;
      }
      connection.sendMessage(reply->header, reply->payload);
      count(&EchoCounters::reflected);
    }
  } catch (const std::exception&) {
    // The connection failed; the reflector serves on.
  }
  connection.close();
}

void EchoReflector::serveRudp(const std::atomic<bool>& stop) {
  std::list<Poco::Thread> workers;
  std::uint64_t refusedSeen = 0;
  std::int64_t lastRefusalLogNs = 0;
  while (!stop) {
    // Join the workers whose connection ended, so a long-lived server does
    // not pile them up.
    workers.remove_if([](Poco::Thread& worker) { return worker.tryJoin(0); });
    // A full table refuses the newest client's cookie (it gets no Accept).
    const std::uint64_t refused = rudpListener_->counters().refusedFull;
    if (refused > refusedSeen) {
      {
        std::lock_guard lock(mutex_);
        counters_.refused += refused - refusedSeen;
      }
      refusedSeen = refused;
      const std::int64_t now = wire::steadyNowNs();
      if (now - lastRefusalLogNs > 1'000'000'000) {  // at most once a second
        lastRefusalLogNs = now;
        std::cerr << "* echo: refusing rudp clients: serving the most connections allowed ("
                  << options_.maxRudpConnections << ")" << std::endl;
      }
    }
    auto connection = tcp_->accept(kPoll);
    if (!connection) continue;
    count(&EchoCounters::peers);
    workers.emplace_back("echo-connection");
    workers.back().startFunc(
        [this, &stop, c = std::shared_ptr<transport::Transport>(std::move(connection))] {
          serveConnection(*c, stop);
        });
  }
  for (auto& worker : workers) worker.join();
}

namespace {

// One TCP connection of the event-driven echo. Not thread safe.
struct TcpClient {
  std::unique_ptr<transport::Transport> owner;  // holds the socket open
  int fd = -1;
  std::string source;  // SourceKey::rateLimited of the peer
  enum class Kind { kUnknown, kPlain, kPigeon } kind = Kind::kUnknown;
  wire::Bytes undecided;  // first bytes, until they tell plain from pigeon
  wire::StreamFramer framer;
  std::string line;  // --stamp: the plain line so far
  wire::Bytes out;   // replies not yet sent
  std::size_t outPos = 0;
  std::int64_t lastActiveNs = 0;
  std::int64_t fullSinceNs = 0;  // when the queue last filled up; 0: not full
  bool closing = false;
  // The peer shut its sending side (nc -N, a script's shutdown(SHUT_WR)):
  // nothing more to read, but what it sent is still answered, then closed.
  bool inputEnded = false;

  std::size_t queued() const { return out.size() - outPos; }
};

constexpr std::int64_t kUndecidedNs = 200'000'000;  // a lone 'P' then silence: plain
constexpr std::size_t kMaxStampedLine = 4096;       // a longer line is answered in pieces

// Plain text from `c`: echoed as it came, or (stamping) each line with the
// time it came. Returns the replies queued.
std::uint64_t echoPlain(TcpClient& c, wire::ByteSpan bytes, bool stamp) {
  if (!stamp) {
    c.out.insert(c.out.end(), bytes.begin(), bytes.end());
    return 1;
  }
  std::uint64_t replies = 0;
  for (const std::uint8_t byte : bytes) {
    if (byte != '\n') {
      c.line.push_back(static_cast<char>(byte));
      if (c.line.size() < kMaxStampedLine) continue;
    }
    if (!c.line.empty() && c.line.back() == '\r') c.line.pop_back();  // telnet's CRLF
    const std::string reply = stampedLine(c.line, std::time(nullptr));
    c.out.insert(c.out.end(), reply.begin(), reply.end());
    c.line.clear();
    ++replies;
  }
  return replies;
}

}  // namespace

void EchoReflector::serveTcpEvents(const std::atomic<bool>& stop) {
  std::list<TcpClient> clients;
  std::unordered_map<std::string, std::size_t> perSource;
  std::vector<pollfd> fds;
  std::vector<TcpClient*> polled;
  std::vector<std::uint8_t> buffer(64 * 1024);
  // Probe counts for reports, per connection, made when its first frame comes.
  std::unordered_map<const TcpClient*, std::unique_ptr<Peer>> probesOf;
  std::int64_t lastRefusalLogNs = 0;
  auto closeClient = [&](std::list<TcpClient>::iterator it) {
    probesOf.erase(&*it);
    if (--perSource[it->source] == 0) perSource.erase(it->source);
    it->owner->close();
    --activeConnections_;
    return clients.erase(it);
  };
  while (!stop) {
    // Accept whatever is waiting, without blocking.
    for (int i = 0; i < 64; ++i) {
      auto connection = tcp_->accept(Poco::Timespan(0));
      if (!connection) break;
      const std::string source = SourceKey::rateLimited(connection->peerAddress());
      if (activeConnections_ >= options_.maxConnections ||
          perSource[source] >= options_.maxConnectionsPerSource) {
        if (perSource[source] == 0) perSource.erase(source);
        count(&EchoCounters::refused);  // full: the newest is refused
        const std::int64_t now = wire::steadyNowNs();
        if (now - lastRefusalLogNs > 1'000'000'000) {  // at most once a second
          lastRefusalLogNs = now;
          std::cerr << "* echo: refusing tcp from "
                    << transport::formatAddress(connection->peerAddress())
                    << (activeConnections_ >= options_.maxConnections
                            ? ": serving the most connections allowed ("
                            : ": that address has the most connections allowed (")
                    << (activeConnections_ >= options_.maxConnections
                            ? options_.maxConnections
                            : options_.maxConnectionsPerSource)
                    << ")" << std::endl;
        }
        connection->close();
        continue;
      }
      ++perSource[source];
      ++activeConnections_;
      count(&EchoCounters::peers);
      TcpClient& c = clients.emplace_back();
      c.fd = connection->nativeHandle();
      c.owner = std::move(connection);
      c.source = source;
      c.lastActiveNs = wire::steadyNowNs();
    }
    fds.clear();
    polled.clear();
    fds.push_back({tcpListener_->nativeHandle(), POLLIN, 0});
    polled.push_back(nullptr);
    for (auto& c : clients) {
      short events = 0;
      if (c.queued() < options_.maxQueuedBytes && !c.inputEnded) events |= POLLIN;  // back-pressure
      if (c.queued() > 0) events |= POLLOUT;
      fds.push_back({c.fd, events, 0});
      polled.push_back(&c);
    }
    const int ready = ::poll(fds.data(), fds.size(), 10);
    const std::int64_t now = wire::steadyNowNs();
    for (std::size_t i = 1; ready > 0 && i < fds.size(); ++i) {
      TcpClient& c = *polled[i];
      if ((fds[i].revents & (POLLIN | POLLERR | POLLHUP)) != 0 && !c.closing) {
        const ssize_t n =
            c.inputEnded ? 0 : ::recv(c.fd, buffer.data(), buffer.size(), MSG_DONTWAIT);
        if (n == 0 && !c.inputEnded) {
          c.inputEnded = true;
          // What has not been answered yet is, as it stands: the first bytes
          // that never told plain from pigeon, a last line without its "\n".
          if (c.kind != TcpClient::Kind::kPigeon && !c.undecided.empty()) {
            c.kind = TcpClient::Kind::kPlain;
            countReplies(echoPlain(c, c.undecided, options_.stampLines));
            wire::Bytes().swap(c.undecided);
          }
          if (c.kind == TcpClient::Kind::kPlain && options_.stampLines && !c.line.empty()) {
            const std::uint8_t newline = '\n';
            countReplies(echoPlain(c, wire::ByteSpan(&newline, 1), true));
          }
        } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
          c.closing = true;
        } else if (n > 0) {
          c.lastActiveNs = now;
          const auto chunk = wire::ByteSpan(buffer).first(static_cast<std::size_t>(n));
          if (c.kind == TcpClient::Kind::kUnknown) {
            c.undecided.insert(c.undecided.end(), chunk.begin(), chunk.end());
            if (!wire::startsLikeFrame(c.undecided)) {
              c.kind = TcpClient::Kind::kPlain;
            } else if (c.undecided.size() >= 3) {
              c.kind = TcpClient::Kind::kPigeon;
            }
            if (c.kind == TcpClient::Kind::kPlain) {
              countReplies(echoPlain(c, c.undecided, options_.stampLines));
            } else if (c.kind == TcpClient::Kind::kPigeon) {
              c.framer.append(c.undecided);
            }
            if (c.kind != TcpClient::Kind::kUnknown) wire::Bytes().swap(c.undecided);
          } else if (c.kind == TcpClient::Kind::kPlain) {
            countReplies(echoPlain(c, chunk, options_.stampLines));
          } else {
            c.framer.append(chunk);
          }
          while (c.kind == TcpClient::Kind::kPigeon && !c.closing) {
            const auto r = c.framer.next();
            if (r.status == wire::StreamFramer::Status::kNeedMore) break;
            if (r.status == wire::StreamFramer::Status::kError) {
              count(&EchoCounters::malformed);
              c.closing = true;
              break;
            }
            auto& probes = probesOf[&c];
            if (!probes) probes = std::make_unique<Peer>();
            const auto reply = answer(*probes, r.frame, now);
            if (!reply) {
              count(&EchoCounters::ignored);
              continue;
            }
            const wire::Bytes bytes = wire::encode(reply->header, reply->payload);
            c.out.insert(c.out.end(), bytes.begin(), bytes.end());
            count(&EchoCounters::reflected);
          }
        }
      }
      if ((fds[i].revents & POLLOUT) != 0 && c.queued() > 0 && !c.closing) {
        const ssize_t n =
            ::send(c.fd, c.out.data() + c.outPos, c.queued(), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0) {
          c.outPos += static_cast<std::size_t>(n);
          if (c.outPos == c.out.size()) {
            c.out.clear();
            c.outPos = 0;
          }
        } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
          c.closing = true;
        }
      }
    }
    for (auto it = clients.begin(); it != clients.end();) {
      TcpClient& c = *it;
      if (c.outPos > 0 && c.outPos * 2 > c.out.size()) {  // keep the queue from growing
        c.out.erase(c.out.begin(), c.out.begin() + static_cast<std::ptrdiff_t>(c.outPos));
        c.outPos = 0;
      }
      if (c.kind == TcpClient::Kind::kUnknown && !c.undecided.empty() &&
          now - c.lastActiveNs > kUndecidedNs) {
        c.kind = TcpClient::Kind::kPlain;  // a lone 'P' or "PG", then silence
        countReplies(echoPlain(c, c.undecided, options_.stampLines));
        wire::Bytes().swap(c.undecided);
      }
      if (c.queued() >= options_.maxQueuedBytes) {
        if (c.fullSinceNs == 0) c.fullSinceNs = now;
      } else {
        c.fullSinceNs = 0;
      }
      if (c.fullSinceNs != 0 && now - c.fullSinceNs > options_.stalledTimeoutNs) {
        count(&EchoCounters::closedStalled);
        std::cerr << "* echo: closing tcp from " << transport::formatAddress(c.owner->peerAddress())
                  << ": its replies have not been read for "
                  << options_.stalledTimeoutNs / 1'000'000'000 << " s" << std::endl;
        c.closing = true;
      } else if (c.queued() == 0 && now - c.lastActiveNs > options_.idleTimeoutNs) {
        count(&EchoCounters::closedIdle);
        c.closing = true;
      }
      if (c.inputEnded && c.queued() == 0) c.closing = true;  // all it sent is answered
      it = c.closing ? closeClient(it) : std::next(it);
    }
  }
  while (!clients.empty()) closeClient(clients.begin());
}

}  // namespace pigeon::bench
