#pragma once

#include "room/MemberQueue.h"
#include "wire/Bytes.h"
#include "wire/Header.h"

#include <cstdint>
#include <string>

namespace pigeon::room {

// How a room speaks to its members (docs/rooms.md). A pigeon member gets
// kHello "room" when it joins, then every line as a kData frame on stream 1
// whose sequence number is the line's number for that member, so its screen
// shows what was lost, duplicated or reordered (ChatSession in room mode);
// over UDP, lines waiting together go in one datagram (chat::RoomPack);
// kBye when the room closes (with how many lines it sent). A pigeon member sends kHello (its
// nickname) first, each line as kData on stream 1, an empty kData on stream 0 to keep alive over
// UDP, and kBye when it leaves. A plain member (nc) gets each line as text with "\n"; where its
// lines were dropped it is told so.
class RoomWire {
 public:
  static constexpr std::uint32_t kControlStream = wire::kControlStreamId;  // hello, bye, keepalive
  static constexpr std::uint32_t kChatStream = 1;

  // The kHello a pigeon member gets when it joins.
  static void appendHello(wire::Bytes& out);
  // Says how many lines the room sent (`linesSent`): what never arrived shows.
  static void appendBye(std::uint64_t linesSent, wire::Bytes& out);
  // `line` as a frame, for a pigeon member.
  static void appendFrame(const OutLine& line, wire::Bytes& out);
  // `line` as text, for a plain member whose next line was `expected`: a
  // line saying how many were dropped comes first when some were.
  static void appendPlain(const OutLine& line, std::uint64_t& expected, wire::Bytes& out);

  // One datagram for a pigeon member over UDP, of the lines `queue` holds
  // from its `first`: one line alone (appendFrame), or as many as fit in
  // chat::RoomPack::kMaxBytes as a pack, so a busy room sends a datagram
  // per member and turn instead of one per line and a quiet one waits for
  // nothing. `scratch` is reused. Returns the lines taken (at least one).
  static std::size_t appendDatagram(const MemberQueue& queue, std::size_t first,
                                    wire::Bytes& scratch, wire::Bytes& out);
  // The same for a plain member: lines of text one after another
  // (appendPlain), within the same size. Returns the lines taken.
  static std::size_t appendPlainDatagram(const MemberQueue& queue, std::size_t first,
                                         std::uint64_t& expected, wire::Bytes& out);
};

}  // namespace pigeon::room
