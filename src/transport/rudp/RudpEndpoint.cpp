#include "transport/rudp/RudpEndpoint.h"

#include "transport/rudp/RudpCodec.h"

#include <algorithm>

namespace pigeon::transport::rudp {

RudpEndpoint::RudpEndpoint(const RudpOptions& options, const CookieMinter::Secret& secret,
                           Transmit transmit, HandshakeResponder::RandomSource random)
    : options_(options), transmit_(std::move(transmit)), listening_(true) {
  responder_.emplace(
      options, secret,
      [this](wire::ByteSpan d, const Poco::Net::SocketAddress& to) {
        transmit_(d, SourceAddress(to));
      },
      std::move(random));
}

RudpEndpoint::RudpEndpoint(const RudpOptions& options, const SourceAddress& peer,
                           std::uint32_t connectionId, std::uint64_t isn, Transmit transmit,
                           std::int64_t nowNs, std::int64_t deadlineNs)
    : options_(options), transmit_(std::move(transmit)), connectorPeer_(peer) {
  connector_ = std::make_unique<RudpConnector>(
      options, connectionId, isn, [this](wire::ByteSpan d) { transmit_(d, connectorPeer_); });
  connector_->start(nowNs, deadlineNs);
}

void RudpEndpoint::touch(Handle handle, Entry& entry) {
  if (entry.touched) return;
  entry.touched = true;
  touched_.push_back(handle);
}

void RudpEndpoint::countDrop(const InputResult& result) {
  if (result.drop == DropReason::kBadChecksum) {
    ++counters_.corruptDropped;
  } else if (result.drop == DropReason::kUnexpected ||
             result.drop == DropReason::kUnknownConnection) {
    ++counters_.strangersDropped;  // valid rudp, for no connection held here
  } else if (!result.taken()) {
    ++counters_.malformedDropped;
  }
}

void RudpEndpoint::input(wire::ByteSpan datagram, const SourceAddress& from, std::int64_t nowNs) {
  Entry* entry = nullptr;
  Handle handle = 0;
  if (lastEntry_ != nullptr && from == lastSource_) {
    entry = lastEntry_;
    handle = lastHandle_;
  } else if (const auto at = bySource_.find(from); at != bySource_.end()) {
    handle = at->second;
    entry = &connections_.at(handle);
    lastSource_ = from;
    lastEntry_ = entry;
    lastHandle_ = handle;
  }
  if (entry == nullptr) {
    inputHandshake(datagram, from, nowNs);
    return;
  }
  entry->connection->inputDatagram(datagram, nowNs);
  touch(handle, *entry);
}

void RudpEndpoint::inputHandshake(wire::ByteSpan datagram, const SourceAddress& from,
                                  std::int64_t nowNs) {
  ++counters_.datagramsReceived;
  if (connector_) {
    if (!(from == connectorPeer_)) {
      ++counters_.strangersDropped;
      return;
    }
    const InputResult result = connector_->inputDatagram(datagram, nowNs);
    if (connector_->state() == RudpConnector::State::kEstablished && connections_.empty() &&
        counters_.accepted == 0) {
      adopt(connector_->params(), from, nowNs);
    }
    countDrop(result);
    return;
  }
  if (!responder_ || !listening_) {
    wire::Frame frame;
    const InputResult result = decodeRudpDatagram(datagram, frame);
    countDrop(result.taken() ? InputResult{DropReason::kUnexpected, {}} : result);
    return;
  }
  const HandshakeResponder::Result r = responder_->input(datagram, from.toSocketAddress(), nowNs);
  if (!r.accepted) {
    countDrop(r.input);
    return;
  }
  if (connections_.size() >= options_.maxConnections) {
    ++counters_.refusedFull;  // no Accept: the client gives up, saying it got no accept
    return;
  }
  adopt(*r.accepted, from, nowNs);
}

RudpEndpoint::Handle RudpEndpoint::adopt(const ConnectionParams& params, const SourceAddress& peer,
                                         std::int64_t nowNs) {
  const Handle handle = nextHandle_++;
  Entry& entry = connections_[handle];
  entry.peer = peer;
  // A listener's connection sends its Accept from here.
  entry.connection = std::make_unique<RudpConnection>(
      options_, params, [this, peer](wire::ByteSpan d) { transmit_(d, peer); }, nowNs);
  bySource_[peer] = handle;
  established_.push_back(handle);
  ++counters_.accepted;
  touch(handle, entry);
  return handle;
}

void RudpEndpoint::flushAcks() {
  for (const Handle handle : touched_) {
    if (const auto at = connections_.find(handle); at != connections_.end()) {
      at->second.connection->flushAcks();
    }
  }
}

void RudpEndpoint::update(std::int64_t nowNs) {
  if (connector_) connector_->update(nowNs);
  for (auto& [handle, entry] : connections_) {
    if (entry.connection->nextTimeoutNs() > nowNs) continue;
    entry.connection->update(nowNs);
    touch(handle, entry);
  }
}

std::int64_t RudpEndpoint::nextTimeoutNs() const {
  std::int64_t next = connector_ ? connector_->nextTimeoutNs() : kNever;
  for (const auto& [handle, entry] : connections_) {
    next = std::min(next, entry.connection->nextTimeoutNs());
  }
  return next;
}

std::optional<RudpEndpoint::Handle> RudpEndpoint::takeEstablished() {
  while (!established_.empty()) {
    const Handle handle = established_.front();
    established_.pop_front();
    if (connections_.contains(handle)) return handle;
  }
  return std::nullopt;
}

RudpConnection* RudpEndpoint::connection(Handle handle) {
  const auto at = connections_.find(handle);
  return at == connections_.end() ? nullptr : at->second.connection.get();
}

const RudpConnection* RudpEndpoint::connection(Handle handle) const {
  const auto at = connections_.find(handle);
  return at == connections_.end() ? nullptr : at->second.connection.get();
}

SourceAddress RudpEndpoint::peerOf(Handle handle) const {
  const auto at = connections_.find(handle);
  return at == connections_.end() ? SourceAddress() : at->second.peer;
}

void RudpEndpoint::release(Handle handle) {
  const auto at = connections_.find(handle);
  if (at == connections_.end()) return;
  if (const auto bySource = bySource_.find(at->second.peer);
      bySource != bySource_.end() && bySource->second == handle) {
    bySource_.erase(bySource);
  }
  if (lastHandle_ == handle) {
    lastEntry_ = nullptr;
    lastHandle_ = 0;
  }
  connections_.erase(at);
  std::erase(established_, handle);
}

void RudpEndpoint::stopListening() {
  listening_ = false;
  while (const auto handle = takeEstablished()) release(*handle);
}

void RudpEndpoint::takeTouched(std::vector<Handle>& out) {
  for (const Handle handle : touched_) {
    const auto at = connections_.find(handle);
    if (at == connections_.end()) continue;
    at->second.touched = false;
    out.push_back(handle);
  }
  touched_.clear();
}

RudpEndpoint::Counters RudpEndpoint::counters() const {
  Counters c = counters_;
  if (responder_) c.datagramsSent += responder_->counters().challengesSent;
  if (connector_) c.datagramsSent += connector_->datagramsSent();
  return c;
}

}  // namespace pigeon::transport::rudp
