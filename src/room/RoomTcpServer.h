#pragma once

#include "room/Room.h"
#include "room/RoomServer.h"
#include "transport/EventSet.h"
#include "transport/TcpListener.h"
#include "wire/StreamFramer.h"

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace pigeon::room {

// A room over TCP: every connection on one epoll set, served by the thread
// that calls run(). A connection whose first bytes start like a pigeon frame
// is a pigeon member (`pigeon chat --room`); anything else, or silence for
// kDecideNs, is a plain one (nc, telnet, a script) that speaks lines of
// text. Sends are non-blocking: what a member has not read waits in its
// bounded queue (Room), then in at most kOutBufferBytes here, then in the
// kernel. Not thread safe (one run() at a time).
class RoomTcpServer : public RoomServer {
 public:
  static constexpr std::int64_t kDecideNs = 300'000'000;         // silence: a plain client
  static constexpr std::int64_t kJoinTimeoutNs = 5'000'000'000;  // a pigeon must say hello
  static constexpr std::int64_t kFlushIntervalNs = 5'000'000;    // lines gathered, then sent
  static constexpr std::size_t kOutBufferBytes = 8 * 1024;

  RoomTcpServer(const Poco::Net::SocketAddress& local, const RoomLimits& limits, Room::Log log);
  ~RoomTcpServer() override;

  void run(const std::atomic<bool>& stop) override;
  Poco::Net::SocketAddress localAddress() const override { return listener_.localAddress(); }

 private:
  struct Connection {
    MemberId id = 0;
    int fd = -1;  // owned: closed when the connection goes
    std::string address;
    std::string addressKey;
    enum class Kind { kUndecided, kPigeon, kPlain } kind = Kind::kUndecided;
    wire::Bytes undecided;
    wire::StreamFramer framer;
    std::string line;             // plain: the line so far
    bool discardingLine = false;  // plain: the rest of a line that was too long
    wire::Bytes out;
    std::size_t outPos = 0;
    std::uint64_t expected = 0;  // plain: the next line number it should get
    std::int64_t acceptedNs = 0;
    bool joined = false;
    bool writeArmed = false;
    bool closing = false;
    std::string goneWhy;  // empty: it left
  };

  void acceptWaiting(std::int64_t nowNs);
  void readFrom(Connection& c, std::int64_t nowNs);
  void decide(Connection& c, std::int64_t nowNs);
  void joinPigeon(Connection& c, std::string_view nick, std::int64_t nowNs);
  void joinPlain(Connection& c, std::int64_t nowNs);
  void takePlain(Connection& c, wire::ByteSpan bytes, std::int64_t nowNs);
  void takeFrames(Connection& c, std::int64_t nowNs);
  void fill(Connection& c);
  void flush(Connection& c);
  void close(Connection& c, std::string why);
  void heard(Connection& c, std::string_view line, std::int64_t nowNs);
  void flushReady();
  void relieve();  // after what queues a line for everyone: flush at half a queue
  void sweep(std::int64_t nowNs);
  void closeAll();

  Room room_;
  transport::TcpListener listener_;
  transport::EventSet events_;
  std::unordered_map<MemberId, Connection> connections_;
  std::vector<MemberId> closing_;
  std::vector<std::uint8_t> buffer_;
  MemberId nextId_ = 1;
  // Lines heard since the last flush: at half a queue, flush at once, so a
  // burst is not dropped for members that read.
  std::size_t heardSinceFlush_ = 0;
  std::size_t maxConnections_;
};

}  // namespace pigeon::room
