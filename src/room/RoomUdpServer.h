#pragma once

#include "metrics/SequenceTracker.h"
#include "room/Room.h"
#include "room/RoomServer.h"
#include "transport/DatagramBatch.h"
#include "transport/SourceAddress.h"

#include <Poco/Net/DatagramSocket.h>

#include <array>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace pigeon::room {

// A room over UDP: one socket for every member, served by the thread that
// calls run(). A member is a source address and port; a datagram that
// starts like a pigeon frame is a pigeon member's (`pigeon chat --room -t
// udp`), anything else a plain member's (nc -u), one or more lines of text.
// Lines waiting together for a member when it sends go in one datagram
// (RoomWire::appendDatagram: a pack, or text lines for a plain member); a
// line waiting alone goes at once, alone.
// Nothing is resent: what the network loses, duplicates or reorders shows
// on the pigeon members' screens, both on the way in (marked on the line
// others see) and on the way out (marked by their own chat). Members silent
// for the idle timeout have left (pigeons keep alive); datagrams from ports
// below 1024 are refused (a spoof aimed at an echo or chargen service).
// Not thread safe (one run() at a time).
class RoomUdpServer : public RoomServer {
 public:
  static constexpr std::size_t kBatch = 64;  // datagrams per recvmmsg and sendmmsg
  static constexpr int kSendTurns = 16;      // sendmmsg calls between two reads

  RoomUdpServer(const Poco::Net::SocketAddress& local, const RoomLimits& limits, Room::Log log);
  ~RoomUdpServer() override;

  void run(const std::atomic<bool>& stop) override;
  Poco::Net::SocketAddress localAddress() const override { return socket_.address(); }

 private:
  struct Member {
    Poco::Net::SocketAddress to;
    bool plain = true;
    std::uint64_t expected = 0;                         // plain: next line number
    std::unique_ptr<metrics::SequenceTracker> inbound;  // pigeon: what it sent us
  };

  // One datagram of a sendmmsg batch. Kept between calls: each buffer keeps
  // its capacity, so a fan-out allocates nothing once the room is warm.
  struct Outgoing {
    MemberId member = 0;
    std::size_t lines = 0;  // of the member's queue, from its front
    wire::Bytes bytes;
  };

  void receive(std::int64_t nowNs);
  void take(wire::ByteSpan datagram, const transport::SourceAddress& from, bool truncated,
            std::int64_t nowNs);
  MemberId join(const transport::SourceAddress& from, const std::string& key, bool plain,
                std::string_view nick, std::int64_t nowNs);
  void leave(MemberId id, const std::string& why);
  bool send();  // false: the socket is full
  void expire(std::int64_t nowNs);
  void closeAll();

  Room room_;
  Poco::Net::DatagramSocket socket_;
  int fd_ = -1;
  transport::DatagramBatch received_;
  std::unordered_map<std::string, MemberId> byEndpoint_;  // bench::SourceKey::endpoint
  std::unordered_map<MemberId, Member> members_;
  std::unordered_map<MemberId, std::string> endpointOf_;
  std::vector<MemberId> sending_;  // members with lines left to send
  wire::Bytes packScratch_;        // RoomWire::appendDatagram's
  std::array<Outgoing, kBatch> outgoing_;
  MemberId nextId_ = 1;
};

}  // namespace pigeon::room
