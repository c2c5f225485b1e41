#include "room/RoomServer.h"

#include "room/RoomRudpServer.h"
#include "room/RoomTcpServer.h"
#include "room/RoomUdpServer.h"
#include "transport/Endpoint.h"
#include "transport/TransportError.h"

namespace pigeon::room {

std::unique_ptr<RoomServer> RoomServer::open(transport::TransportKind kind, const std::string& bind,
                                             std::uint16_t port, const RoomLimits& limits,
                                             Room::Log log) {
  return transport::listenWithFallback(
      bind, port, [&](const Poco::Net::SocketAddress& at) -> std::unique_ptr<RoomServer> {
        switch (kind) {
          case transport::TransportKind::kTcp:
            return std::make_unique<RoomTcpServer>(at, limits, log);
          case transport::TransportKind::kUdp:
            return std::make_unique<RoomUdpServer>(at, limits, log);
          case transport::TransportKind::kRudp:
            return std::make_unique<RoomRudpServer>(at, limits, log);
        }
        throw transport::TransportError(transport::TransportError::Code::kOther,
                                        "no such transport kind");
      });
}

RoomCounters RoomServer::counters() const {
  std::lock_guard lock(mutex_);
  return counters_;
}

std::size_t RoomServer::members() const {
  std::lock_guard lock(mutex_);
  return members_;
}

void RoomServer::publish(const Room& room) {
  std::lock_guard lock(mutex_);
  counters_ = room.counters();
  members_ = room.size();
}

}  // namespace pigeon::room
