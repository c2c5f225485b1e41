#pragma once

#include "room/Room.h"
#include "transport/TransportKind.h"

#include <Poco/Net/SocketAddress.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

namespace pigeon::room {

// The server behind `pigeon room`: one Room served over one transport, on
// one thread, event-driven (one epoll set or one UDP socket; no thread per
// member). A subcommand opens one, runs it on a thread and stops it.
class RoomServer {
 public:
  // Listens at transport::listenWithFallback(bind, port). Throws
  // TransportError (port in use, not an address of this host).
  static std::unique_ptr<RoomServer> open(transport::TransportKind kind, const std::string& bind,
                                          std::uint16_t port, const RoomLimits& limits,
                                          Room::Log log);

  virtual ~RoomServer() = default;

  // Serves until `stop` is true (seen within 20 ms), then tells every member
  // the room is closing. Catches what a member's input can cause.
  virtual void run(const std::atomic<bool>& stop) = 0;

  virtual Poco::Net::SocketAddress localAddress() const = 0;

  // What the room did so far, and how many are in it. Thread safe.
  RoomCounters counters() const;
  std::size_t members() const;

 protected:
  // The serving thread shares what it knows (at most every few ms).
  void publish(const Room& room);

 private:
  mutable std::mutex mutex_;
  RoomCounters counters_;
  std::size_t members_ = 0;
};

}  // namespace pigeon::room
