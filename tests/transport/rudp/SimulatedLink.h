#pragma once

// Test helper: a client and a listener joined by an in-process link whose
// two directions are seeded link::ImpairmentModels, all on a fake clock.
// Nothing here touches a socket or the real time.

#include "link/ImpairmentModel.h"
#include "transport/rudp/HandshakeResponder.h"
#include "transport/rudp/RudpConnection.h"
#include "transport/rudp/RudpConnector.h"

#include <Poco/Net/SocketAddress.h>

#include <cstdint>
#include <memory>
#include <queue>
#include <vector>

namespace pigeon::transport::rudp::test {

class SimulatedLink {
 public:
  SimulatedLink(const link::DirectionSpec& up, const link::DirectionSpec& down,
                const RudpOptions& clientOptions, const RudpOptions& listenerOptions)
      : up_(up, 0),
        down_(down, 1),
        clientOptions_(clientOptions),
        listenerOptions_(listenerOptions),
        listener_(
            listenerOptions, CookieMinter::Secret{7, 7, 7},
            [this](wire::ByteSpan d, const Poco::Net::SocketAddress&) { toClient(d); },
            [this] { return nextIsn_ += 0x9E3779B97F4A7C15ull; }) {
    connector_ = std::make_unique<RudpConnector>(clientOptions, 0xC0FFEE, 0xFFFFFFFFFFFFFF00ull,
                                                 [this](wire::ByteSpan d) { toListener(d); });
  }

  // Runs the handshake; false if it did not finish within `limitNs`.
  bool connect(std::int64_t limitNs = 60'000'000'000) {
    connector_->start(nowNs_, nowNs_ + limitNs);
    while (!client_ || !server_) {
      if (connector_->state() == RudpConnector::State::kFailed) return false;
      if (!step()) return false;
    }
    return true;
  }

  // Advances the clock to the next event (a datagram landing or a timer)
  // and handles it. False when nothing is left to happen.
  bool step() {
    std::int64_t next = kNever;
    if (!inFlight_.empty()) next = inFlight_.top().atNs;
    next = std::min(next, client_ ? client_->nextTimeoutNs() : connector_->nextTimeoutNs());
    if (server_) next = std::min(next, server_->nextTimeoutNs());
    if (next == kNever) return false;
    nowNs_ = std::max(nowNs_, next);
    while (!inFlight_.empty() && inFlight_.top().atNs <= nowNs_) {
      Landing landing = inFlight_.top();
      inFlight_.pop();
      deliver(landing);
    }
    if (client_) {
      client_->update(nowNs_);
    } else {
      connector_->update(nowNs_);
    }
    if (server_) server_->update(nowNs_);
    return true;
  }

  // Drops everything sent in a direction from now on (false: carry again).
  void cut(bool toListener, bool toClient) {
    cutToListener_ = toListener;
    cutToClient_ = toClient;
  }

  // Steps until `done()` or `untilNs`; true if done() became true.
  template <typename Done>
  bool runUntil(Done done, std::int64_t untilNs) {
    while (!done()) {
      if (nowNs_ >= untilNs || !step()) return done();
    }
    return true;
  }

  std::int64_t nowNs() const { return nowNs_; }
  RudpConnector& connector() { return *connector_; }
  RudpConnection& client() { return *client_; }
  RudpConnection& server() { return *server_; }
  const link::ImpairmentModel& up() const { return up_; }
  const link::ImpairmentModel& down() const { return down_; }

 private:
  struct Landing {
    std::int64_t atNs;
    std::uint64_t order;  // ties keep sending order
    bool toListener;
    wire::Bytes bytes;
    bool operator>(const Landing& o) const {
      return atNs != o.atNs ? atNs > o.atNs : order > o.order;
    }
  };

  void toListener(wire::ByteSpan d) {
    if (!cutToListener_) carry(up_, d, true);
  }
  void toClient(wire::ByteSpan d) {
    if (!cutToClient_) carry(down_, d, false);
  }

  void carry(link::ImpairmentModel& model, wire::ByteSpan d, bool toListener) {
    deliveries_.clear();
    model.onPacket(nowNs_, d.size(), deliveries_);
    for (const link::Delivery& delivery : deliveries_) {
      Landing landing{delivery.deliverAtNs, order_++, toListener, wire::Bytes(d.begin(), d.end())};
      if (delivery.corrupt) landing.bytes[delivery.corruptOffset] ^= delivery.corruptMask;
      inFlight_.push(std::move(landing));
    }
  }

  void deliver(const Landing& landing) {
    if (!landing.toListener) {
      if (client_) {
        client_->inputDatagram(landing.bytes, nowNs_);
      } else {
        connector_->inputDatagram(landing.bytes, nowNs_);
        if (connector_->state() == RudpConnector::State::kEstablished) {
          client_ = std::make_unique<RudpConnection>(
              clientOptions_, connector_->params(), [this](wire::ByteSpan d) { toListener(d); },
              nowNs_);
        }
      }
      return;
    }
    if (server_) {
      server_->inputDatagram(landing.bytes, nowNs_);
      return;
    }
    const auto result = listener_.input(landing.bytes, clientAddress_, nowNs_);
    if (result.accepted) {
      server_ = std::make_unique<RudpConnection>(
          listenerOptions_, *result.accepted, [this](wire::ByteSpan d) { toClient(d); }, nowNs_);
    }
  }

  link::ImpairmentModel up_;
  link::ImpairmentModel down_;
  RudpOptions clientOptions_;
  RudpOptions listenerOptions_;
  std::uint64_t nextIsn_ = 0;
  HandshakeResponder listener_;
  std::unique_ptr<RudpConnector> connector_;
  std::unique_ptr<RudpConnection> client_;
  std::unique_ptr<RudpConnection> server_;
  Poco::Net::SocketAddress clientAddress_{"192.0.2.1", 4000};
  std::int64_t nowNs_ = 1'000'000'000;
  std::uint64_t order_ = 0;
  bool cutToListener_ = false;
  bool cutToClient_ = false;
  std::priority_queue<Landing, std::vector<Landing>, std::greater<>> inFlight_;
  std::vector<link::Delivery> deliveries_;
};

}  // namespace pigeon::transport::rudp::test
