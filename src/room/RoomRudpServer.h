#pragma once

#include "room/Room.h"
#include "room/RoomServer.h"
#include "transport/Listener.h"
#include "transport/Transport.h"

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace pigeon::room {

// A room over rudp: every member's connection is accepted on one UDP socket
// (rudp::RudpAcceptor) whose one I/O thread runs the protocol for all of
// them; the thread that calls run() serves the room, looking at each
// connection without waiting. Nothing is missing, duplicated or out of
// order. Sends never wait either: a member whose send window is full keeps
// its lines in its queue (Room: the oldest dropped when full). rudp
// carries pigeon frames only, so plain clients cannot join. Not thread safe
// (one run() at a time).
class RoomRudpServer : public RoomServer {
 public:
  static constexpr std::int64_t kJoinTimeoutNs = 5'000'000'000;  // hello within this
  // A member from which no datagram at all came for this long (or for the
  // idle timeout, if shorter) is gone: "went silent".
  static constexpr std::int64_t kMostSilenceNs = 3'000'000'000;

  RoomRudpServer(const Poco::Net::SocketAddress& local, const RoomLimits& limits, Room::Log log);
  ~RoomRudpServer() override;

  void run(const std::atomic<bool>& stop) override;
  Poco::Net::SocketAddress localAddress() const override { return address_; }

 private:
  struct Member {
    std::unique_ptr<transport::Transport> connection;
    std::string address;
    std::string addressKey;
    std::int64_t acceptedNs = 0;
    bool joined = false;
    bool closing = false;
    std::string goneWhy;
  };

  void acceptWaiting(std::int64_t nowNs);
  // A udp pigeon (chat -t udp --room) at this rudp port would wait in vain:
  // logged when a new source knocks (not again for the same one in a row),
  // as an rudp chat listener does.
  void tellOfStranger();
  void receiveFrom(MemberId id, Member& m, std::int64_t nowNs);
  void take(MemberId id, Member& m, const transport::Incoming& in, std::int64_t nowNs);
  void sendTo(MemberId id, Member& m);
  void close(Member& m, std::string why);
  void closeAll();

  Room room_;
  std::unique_ptr<transport::Listener> listener_;
  Poco::Net::SocketAddress address_;
  std::unordered_map<MemberId, Member> members_;
  std::vector<MemberId> sending_;  // members with lines their window did not take yet
  MemberId nextId_ = 1;
  std::optional<Poco::Net::SocketAddress> toldOfStranger_;
};

}  // namespace pigeon::room
