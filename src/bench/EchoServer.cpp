#include "bench/EchoServer.h"

#include "transport/Endpoint.h"

#include <algorithm>
#include <stdexcept>

namespace pigeon::bench {

EchoServer::EchoServer(const std::vector<transport::TransportKind>& kinds, const std::string& bind,
                       std::uint16_t port, const EchoOptions& options)
    : kinds_(kinds) {
  const auto served = [this](transport::TransportKind kind) {
    return std::find(kinds_.begin(), kinds_.end(), kind) != kinds_.end();
  };
  // rudp beside udp rides on the udp reflector's socket: the udp one first.
  const bool rudpOnUdp =
      served(transport::TransportKind::kUdp) && served(transport::TransportKind::kRudp);
  if (rudpOnUdp) {
    const auto udp = std::find(kinds_.begin(), kinds_.end(), transport::TransportKind::kUdp);
    const auto rudp = std::find(kinds_.begin(), kinds_.end(), transport::TransportKind::kRudp);
    if (rudp < udp) std::iter_swap(udp, rudp);
  }
  Poco::Net::SocketAddress local;
  for (const transport::TransportKind kind : kinds_) {
    if (reflectors_.empty()) {
      reflectors_.push_back(transport::listenWithFallback(bind, port, [&](const auto& at) {
        local = at;
        return std::make_unique<EchoReflector>(kind, at, options);
      }));
    } else if (kind == transport::TransportKind::kRudp && rudpOnUdp) {
      const auto udp = std::find(kinds_.begin(), kinds_.end(), transport::TransportKind::kUdp);
      EchoReflector& udpReflector = *reflectors_[static_cast<std::size_t>(udp - kinds_.begin())];
      reflectors_.push_back(std::make_unique<EchoReflector>(udpReflector, options));
    } else {
      reflectors_.push_back(std::make_unique<EchoReflector>(kind, local, options));
    }
    // With port 0 the first transport's port is shared with the rest.
    if (port == 0) {
      port = reflectors_.back()->localAddress().port();
      local = Poco::Net::SocketAddress(local.host(), port);
    }
  }
}

EchoServer::~EchoServer() { stop(); }

void EchoServer::start() {
  for (auto& reflector : reflectors_) {
    threads_.push_back(std::make_unique<Poco::Thread>("echo"));
    threads_.back()->startFunc([this, r = reflector.get()] { r->run(stop_); });
  }
}

void EchoServer::stop() {
  stop_ = true;
  for (auto& t : threads_) t->join();
  threads_.clear();
}

const EchoReflector& EchoServer::reflectorFor(transport::TransportKind kind) const {
  const auto at = std::find(kinds_.begin(), kinds_.end(), kind);
  if (at == kinds_.end()) {
    throw std::out_of_range("echo: " + std::string(transport::transportKindName(kind)) +
                            " is not served");
  }
  return *reflectors_[static_cast<std::size_t>(at - kinds_.begin())];
}

Poco::Net::SocketAddress EchoServer::localAddress(transport::TransportKind kind) const {
  return reflectorFor(kind).localAddress();
}

EchoCounters EchoServer::counters(transport::TransportKind kind) const {
  return reflectorFor(kind).counters();
}

}  // namespace pigeon::bench
