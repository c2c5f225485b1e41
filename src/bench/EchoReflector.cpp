#include "bench/EchoReflector.h"

#include "bench/SourceKey.h"
#include "transport/DatagramBatch.h"
#include "transport/Endpoint.h"
#include "transport/SocketStats.h"
#include "transport/TransportFactory.h"
#include "transport/UdpTransport.h"
#include "transport/rudp/RudpCodec.h"
#include "wire/Clock.h"
#include "wire/Crc32.h"

#include <Poco/Thread.h>

#include <sys/socket.h>

#include <cerrno>
#include <iostream>
#include <list>
#include <stdexcept>

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
      tcpServer_ = std::make_unique<EchoTcpServer>(local, options);
    } else {
      auto listener = std::make_unique<transport::rudp::RudpAcceptor>(local, rudpOptions(options));
      rudpListener_ = listener.get();
      rudp_ = std::move(listener);
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
  rudp_ = std::move(listener);
}

EchoReflector::~EchoReflector() = default;

Poco::Net::SocketAddress EchoReflector::localAddress() const {
  if (udp_) return udp_->address();
  return tcpServer_ ? tcpServer_->localAddress() : rudp_->localAddress();
}

EchoCounters EchoReflector::counters() const {
  if (tcpServer_) return tcpServer_->counters();
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
  } else if (tcpServer_) {
    tcpServer_->run(stop);
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
      // Once per source, and at most once a second for all of them.
      if (!peer.toldRudpKnock && now - lastRudpNoteNs_ > 1'000'000'000) {
        peer.toldRudpKnock = true;
        lastRudpNoteNs_ = now;
        std::cerr << "* echo udp: " + transport::formatAddress(from.toSocketAddress()) +
                         " is knocking with rudp (its connect handshake) at a port that "
                         "serves udp only: `pigeon echo` (udp, tcp and rudp by default) or "
                         "`pigeon echo -t rudp` serves it\n"
                  << std::flush;
      }
      return false;
    }
    const auto answered = answerFrame(peer.probes, decoded.frame, now);
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
  EchoProbes peer;
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
      const auto reply = answerFrame(peer, frame, now);
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
    auto connection = rudp_->accept(kPoll);
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

}  // namespace pigeon::bench
