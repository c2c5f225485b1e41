#include "bench/EchoReflector.h"

#include "bench/BenchSink.h"
#include "bench/EchoStamp.h"
#include "bench/SourceKey.h"
#include "transport/Endpoint.h"
#include "transport/SocketStats.h"
#include "transport/TransportFactory.h"
#include "transport/UdpTransport.h"
#include "wire/Clock.h"
#include "wire/Crc32.h"

#include <Poco/Thread.h>

#include <list>
#include <vector>

namespace pigeon::bench {

using wire::MessageType;

namespace {
const Poco::Timespan kPoll(0, 20'000);

// A bucket allows a tenth of a second's worth, and never less than 64, at once.
TokenBucket bucketFor(double ratePerS, std::int64_t nowNs) {
  return TokenBucket(ratePerS, ratePerS / 10 + 64, nowNs);
}
}  // namespace

EchoReflector::EchoReflector(const std::string& transportName,
                             const Poco::Net::SocketAddress& local, EchoOptions options)
    : options_(options),
      peers_(options.maxSources),
      limits_(options.maxSources),
      total_(bucketFor(options.maxRateTotal, wire::steadyNowNs())) {
  if (transportName == "udp") {
    udp_.emplace(local.family());
    transport::bindDatagramSocket(*udp_, local);
    transport::enlargeReceiveBuffer(udp_->impl()->sockfd(), 4 << 20);
  } else {
    tcp_ = transport::listenOn(transportName, local);
  }
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

void EchoReflector::run(const std::atomic<bool>& stop) {
  if (udp_) {
    serveUdp(stop);
  } else {
    serveTcp(stop);
  }
}

EchoReflector::Peer& EchoReflector::peerFor(const Poco::Net::SocketAddress& from) {
  bool created = false;
  Peer& peer = peers_.touch(
      SourceKey::endpoint(from), [] { return Peer{}; }, created);
  if (created) ++counters_.peers;
  return peer;
}

bool EchoReflector::takeBudget(const Poco::Net::SocketAddress& from, std::int64_t nowNs) {
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
    stampEcho(reply.payload, nowNs);
    return reply;
  }
  if (frame.header.type == MessageType::kReport) {
    reply.header.sendTimeNs = static_cast<std::uint64_t>(nowNs);
    reply.payload = encodeCount(peer.probes.unique());
    return reply;
  }
  return std::nullopt;
}

void EchoReflector::serveUdp(const std::atomic<bool>& stop) {
  Poco::Net::DatagramSocket& socket = *udp_;
  std::vector<std::uint8_t> buffer(wire::kMaxDatagramSize + 1);
  // A blocking read that gives up after kPoll (then throws, caught below):
  // one system call per probe, not a poll and then a read.
  socket.setReceiveTimeout(kPoll);
  while (!stop) {
    Poco::Net::SocketAddress from;
    int n = 0;
    try {
      n = socket.receiveFrom(buffer.data(), static_cast<int>(buffer.size()), from);
    } catch (const Poco::Exception&) {
      continue;  // an ICMP error for an earlier reply: that peer is gone
    }
    if (n <= 0) continue;
    if (SourceKey::isServerPort(from.port())) {
      count(&EchoCounters::refused);  // before any state is kept for it
      continue;
    }
    const std::int64_t now = wire::steadyNowNs();
    const auto datagram = wire::ByteSpan(buffer).first(static_cast<std::size_t>(n));
    std::optional<wire::Bytes> reply;
    {
      std::lock_guard lock(mutex_);
      Peer& peer = peerFor(from);
      const bool framed = datagram.size() >= 3 && wire::startsLikeFrame(datagram);
      if (!framed && isReturningReply(peer, datagram, now)) {
        ++counters_.looped;
        continue;
      }
      if (!takeBudget(from, now)) {
        ++counters_.rateLimited;
        continue;
      }
      if (framed) {
        const auto decoded = wire::decodeDatagram(datagram);
        if (!decoded.ok()) {
          ++counters_.malformed;
          continue;
        }
        if ((decoded.frame.header.flags & wire::flags::kReply) != 0) {
          ++counters_.looped;
          continue;
        }
        if (const auto answered = answer(peer, decoded.frame, now)) {
          reply = wire::encode(answered->header, answered->payload);
        } else {
          ++counters_.ignored;
        }
      } else {
        reply = wire::Bytes(datagram.begin(), datagram.end());  // plain text, echoed
        peer.sentPlain[peer.nextSent] = {wire::crc32(datagram), datagram.size(), now};
        peer.nextSent = (peer.nextSent + 1) % peer.sentPlain.size();
      }
      if (reply && reply->size() > datagram.size()) {
        ++counters_.ignored;  // never answer with more than was asked
        continue;
      }
    }
    if (!reply) continue;
    try {
      socket.sendTo(reply->data(), static_cast<int>(reply->size()), from);
      count(&EchoCounters::reflected);
    } catch (const Poco::Exception&) {
      // A full buffer or a vanished peer: the reply is lost like on a link.
    }
  }
}

void EchoReflector::serveConnection(transport::Transport& connection,
                                    const std::atomic<bool>& stop) {
  Peer peer;
  try {
    while (!stop) {
      const auto in = connection.receive(kPoll);
      const std::int64_t now = wire::steadyNowNs();
      if (in.kind == transport::Incoming::Kind::kClosed ||
          in.kind == transport::Incoming::Kind::kMalformed) {
        if (in.kind == transport::Incoming::Kind::kMalformed) count(&EchoCounters::malformed);
        break;
      }
      if (in.kind == transport::Incoming::Kind::kTimeout) continue;
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

void EchoReflector::serveTcp(const std::atomic<bool>& stop) {
  std::list<Poco::Thread> workers;
  while (!stop) {
    // Join the workers whose connection ended, so a long-lived server does
    // not pile them up.
    workers.remove_if([](Poco::Thread& worker) { return worker.tryJoin(0); });
    auto connection = tcp_->accept(kPoll);
    if (!connection) continue;
    if (activeConnections_ >= options_.maxConnections) {
      connection->close();
      continue;
    }
    count(&EchoCounters::peers);
    ++activeConnections_;
    workers.emplace_back("echo-connection");
    workers.back().startFunc(
        [this, &stop, c = std::shared_ptr<transport::Transport>(std::move(connection))] {
          serveConnection(*c, stop);
          --activeConnections_;
        });
  }
  for (auto& worker : workers) worker.join();
}

}  // namespace pigeon::bench
