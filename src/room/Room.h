#pragma once

#include "bench/TokenBucket.h"
#include "room/MemberQueue.h"
#include "wire/Header.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace pigeon::room {

using MemberId = std::uint64_t;

// What a room allows; `pigeon room` options set them.
struct RoomLimits {
  std::size_t maxMembers = 1000;
  std::size_t maxMembersPerAddress = 64;  // IPv4 address or IPv6 /64
  std::size_t maxLineBytes = 1000;        // what one member may say at once
  double linesPerS = 20;                  // per member, commands included
  double burstLines = 40;
  std::size_t queueLines = 256;  // waiting for one member (full: the oldest dropped)
  std::size_t queueBytes = 32 * 1024;
  std::int64_t idleTimeoutNs = 120'000'000'000;  // UDP: a member silent this long has left
};

// What the room did, for its operator, the bench and tests.
struct RoomCounters {
  std::uint64_t joined = 0;
  std::uint64_t left = 0;          // of those, gone again (quit, closed, expired, broke protocol)
  std::uint64_t expired = 0;       // UDP members silent for the idle timeout
  std::uint64_t refused = 0;       // could not join: room full, or that address has the most
  std::uint64_t linesIn = 0;       // said by members (relayed, commands)
  std::uint64_t fannedOut = 0;     // lines queued for members: one per member a line went to
  std::uint64_t dropped = 0;       // lines dropped: a member's queue was full
  std::uint64_t rateLimited = 0;   // lines refused: over the member's lines per second
  std::uint64_t tooLong = 0;       // lines refused: above maxLineBytes
  std::uint64_t nicksRefused = 0;  // nicknames refused (taken or not allowed)
  std::uint64_t malformed = 0;     // counted by the servers: frames that were not
};

// A chat room with no sockets and no clock: the servers (RoomTcpServer,
// RoomUdpServer) hand it what members said, with the time, and send what it
// queues for each member. Members are named by ids the caller chooses.
//
// Nicknames are unique (ignoring ASCII case) and follow
// chat::Nickname::roomProblem; a member without an acceptable one is called
// guestN. Each line a member says is a command (/who, /nick NEW, /msg NICK
// text, /quit, /help) or goes to every other member as "nick: text", made
// safe for a terminal. Each member has a bounded queue (MemberQueue: the
// oldest line dropped when full, counted and logged) and a token bucket of
// lines per second. Not thread safe.
class Room {
 public:
  using Log = std::function<void(const std::string&)>;

  enum class Heard { kStay, kQuit };

  explicit Room(RoomLimits limits, Log log = {});

  // One line for the room's log (the servers' own notes go there too).
  void log(const std::string& line) const;

  // A member arrives from `address` (shown to people) whose limit key is
  // `addressKey` (bench::SourceKey::rateLimited). `wantedNick` empty: a
  // plain client, named guestN. False when the room is full or that address
  // has the most members allowed (counted, logged); the caller closes it.
  bool join(MemberId id, const std::string& address, const std::string& addressKey,
            std::string_view wantedNick, std::int64_t nowNs);

  // One line the member said (without its line end). `note` (what the
  // transport did to it on the way in, as chat shows it) is appended to the
  // line others see. kQuit: the member asked to leave; call leave().
  Heard hear(MemberId id, std::string_view line, std::int64_t nowNs, std::string_view note = {});

  // A frame from a pigeon member that has joined (RoomWire): kHello
  // renames it, kData on the chat stream is a line (hear()), any other
  // kData keeps it alive, kBye is kQuit; other types are ignored.
  Heard frame(MemberId id, wire::MessageType type, std::uint32_t streamId, std::string_view text,
              std::int64_t nowNs, std::string_view note = {});

  // A line that was too long to take (`bytes` long): the member is told.
  void tooLong(MemberId id, std::size_t bytes);

  // A pigeon member says who it is (kHello after joining): as /nick.
  void rename(MemberId id, std::string_view nick);

  // The member sent something (a keepalive too): not idle.
  void heardFrom(MemberId id, std::int64_t nowNs);

  // The member is gone; everyone else is told "* nick left" (`why` empty)
  // or "* nick is gone (why)". Unknown ids are ignored.
  void leave(MemberId id, const std::string& why);

  // Members silent for longer than the idle timeout (UDP).
  std::vector<MemberId> idle(std::int64_t nowNs) const;

  bool has(MemberId id) const { return members_.count(id) != 0; }
  std::size_t size() const { return members_.size(); }
  const std::string& nick(MemberId id) const;

  // What to send. takeReady() hands out, once, the members that got lines
  // since the last call; queue() is a member's queue (pop what was sent).
  std::vector<MemberId> takeReady();
  MemberQueue* queue(MemberId id);

  const RoomCounters& counters() const { return counters_; }
  RoomCounters& counters() { return counters_; }
  const RoomLimits& limits() const { return limits_; }

 private:
  struct Member {
    MemberId id = 0;
    std::string nick;
    std::string address;
    std::string addressKey;
    MemberQueue queue;
    bench::TokenBucket bucket;
    std::int64_t lastHeardNs = 0;
    std::int64_t lastSlowDownNs = 0;  // when it was last told it is over its rate
    std::int64_t lastDropLogNs = 0;
    std::uint64_t droppedSinceLog = 0;
    bool ready = false;  // in ready_
  };

  void command(Member& member, std::string_view line);
  void tell(Member& member, const std::string& text);
  void tellAll(const std::string& text, const Member* except);
  void deliver(Member& member, const std::shared_ptr<const std::string>& text);
  std::string chooseNick(std::string_view wanted, std::string& why) const;
  bool nickTaken(std::string_view nick) const;
  void changeNick(Member& member, std::string_view wanted);
  Member* find(MemberId id);

  RoomLimits limits_;
  Log log_;
  std::unordered_map<MemberId, Member> members_;
  std::unordered_map<std::string, MemberId> byNick_;  // lower-cased nick
  std::unordered_map<std::string, std::size_t> perAddress_;
  std::vector<MemberId> ready_;
  std::uint64_t nextGuest_ = 1;
  std::int64_t lastRefusalLogNs_ = 0;
  std::int64_t nowNs_ = 0;  // the latest time given
  RoomCounters counters_;
};

}  // namespace pigeon::room
