#include "room/Room.h"

#include "chat/Nickname.h"
#include "chat/TerminalText.h"
#include "room/RoomWire.h"

#include <algorithm>
#include <cctype>

namespace pigeon::room {

namespace {

constexpr std::int64_t kSecondNs = 1'000'000'000;
const char* const kHelp = "/who, /nick NEW, /msg NICK text, /quit";

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// The first word of `text` and what follows it (leading spaces skipped).
std::pair<std::string_view, std::string_view> firstWord(std::string_view text) {
  const auto start = text.find_first_not_of(' ');
  if (start == std::string_view::npos) return {{}, {}};
  text.remove_prefix(start);
  const auto end = text.find(' ');
  if (end == std::string_view::npos) return {text, {}};
  std::string_view rest = text.substr(end + 1);
  const auto restStart = rest.find_first_not_of(' ');
  rest = restStart == std::string_view::npos ? std::string_view{} : rest.substr(restStart);
  return {text.substr(0, end), rest};
}

std::string shown(std::string_view text) {
  return chat::TerminalText::sanitizeLine(wire::asBytes(text));
}

}  // namespace

Room::Room(RoomLimits limits, Log log) : limits_(limits), log_(std::move(log)) {}

void Room::log(const std::string& line) const {
  if (log_) log_(line);
}

Room::Member* Room::find(MemberId id) {
  const auto it = members_.find(id);
  return it == members_.end() ? nullptr : &it->second;
}

const std::string& Room::nick(MemberId id) const {
  static const std::string kNobody;
  const auto it = members_.find(id);
  return it == members_.end() ? kNobody : it->second.nick;
}

bool Room::nickTaken(std::string_view nick) const { return byNick_.count(lower(nick)) != 0; }

std::string Room::chooseNick(std::string_view wanted, std::string& why) const {
  if (!wanted.empty()) {
    why = chat::Nickname::roomProblem(wanted);
    if (why.empty() && nickTaken(wanted)) why = "someone here is called that already";
    if (why.empty()) return std::string(wanted);
  }
  for (std::uint64_t n = nextGuest_;; ++n) {
    std::string guest = "guest" + std::to_string(n);
    if (!nickTaken(guest)) return guest;
  }
}

bool Room::join(MemberId id, const std::string& address, const std::string& addressKey,
                std::string_view wantedNick, std::int64_t nowNs) {
  nowNs_ = nowNs;
  if (members_.count(id) != 0) return true;
  const bool full = members_.size() >= limits_.maxMembers;
  if (full || perAddress_[addressKey] >= limits_.maxMembersPerAddress) {
    if (perAddress_[addressKey] == 0) perAddress_.erase(addressKey);
    ++counters_.refused;
    if (nowNs - lastRefusalLogNs_ >= kSecondNs) {  // at most once a second
      lastRefusalLogNs_ = nowNs;
      log("* room: refusing " + address +
          (full ? ": the room has the most members allowed (" + std::to_string(limits_.maxMembers) +
                      ")"
                : ": that address has the most members allowed (" +
                      std::to_string(limits_.maxMembersPerAddress) + ")"));
    }
    return false;
  }
  std::string why;
  std::string nick = chooseNick(wantedNick, why);
  if (nick.rfind("guest", 0) == 0 && wantedNick != nick) ++nextGuest_;
  if (!why.empty()) ++counters_.nicksRefused;
  auto [it, inserted] = members_.try_emplace(
      id, Member{id, nick, address, addressKey, MemberQueue(limits_.queueLines, limits_.queueBytes),
                 bench::TokenBucket(limits_.linesPerS, limits_.burstLines, nowNs), nowNs});
  ++perAddress_[addressKey];
  byNick_[lower(nick)] = id;
  ++counters_.joined;
  Member& member = it->second;

  std::string others;
  for (const auto& [otherId, other] : members_) {
    if (otherId == id) continue;
    others += (others.empty() ? "" : ", ") + other.nick;
  }
  std::string welcome = "* welcome, " + nick + ": ";
  welcome += others.empty() ? "no one else is here yet" : "here with " + others;
  tell(member, welcome + " (" + kHelp + ")");
  if (!why.empty()) {
    tell(member, "* you are " + nick + ": '" + shown(wantedNick) + "' cannot be used (" + why +
                     "); /nick NEW to change");
  }
  tellAll("* " + nick + " joined", &member);
  log("* room: " + nick + " joined from " + address);
  return true;
}

void Room::heardFrom(MemberId id, std::int64_t nowNs) {
  nowNs_ = nowNs;
  if (Member* member = find(id)) member->lastHeardNs = nowNs;
}

Room::Heard Room::hear(MemberId id, std::string_view line, std::int64_t nowNs,
                       std::string_view note) {
  nowNs_ = nowNs;
  Member* member = find(id);
  if (member == nullptr) return Heard::kStay;
  member->lastHeardNs = nowNs;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // telnet's CRLF
  if (line.empty()) return Heard::kStay;
  if (line.size() > limits_.maxLineBytes) {
    tooLong(id, line.size());
    return Heard::kStay;
  }
  if (line == "/quit") return Heard::kQuit;
  if (!member->bucket.take(nowNs)) {
    ++counters_.rateLimited;
    if (nowNs - member->lastSlowDownNs >= kSecondNs) {
      member->lastSlowDownNs = nowNs;
      char rate[32];
      std::snprintf(rate, sizeof rate, "%g", limits_.linesPerS);
      tell(*member, std::string("* slow down: at most ") + rate +
                        " lines a second; lines over that are not sent");
    }
    return Heard::kStay;
  }
  ++counters_.linesIn;
  if (line.front() == '/') {
    command(*member, line);
    return Heard::kStay;
  }
  std::string text = member->nick + ": " + shown(line);
  if (!note.empty()) text += "  " + std::string(note);
  tellAll(text, member);
  return Heard::kStay;
}

Room::Heard Room::frame(MemberId id, wire::MessageType type, std::uint32_t streamId,
                        std::string_view text, std::int64_t nowNs, std::string_view note) {
  switch (type) {
    case wire::MessageType::kHello:
      heardFrom(id, nowNs);
      rename(id, text);
      return Heard::kStay;
    case wire::MessageType::kData:
      if (streamId == RoomWire::kChatStream) return hear(id, text, nowNs, note);
      heardFrom(id, nowNs);  // keepalive
      return Heard::kStay;
    case wire::MessageType::kBye:
      return Heard::kQuit;
    default:
      return Heard::kStay;  // not part of a room
  }
}

void Room::tooLong(MemberId id, std::size_t bytes) {
  Member* member = find(id);
  if (member == nullptr) return;
  ++counters_.tooLong;
  tell(*member, "* not sent: line too long (" + std::to_string(bytes) + " bytes, at most " +
                    std::to_string(limits_.maxLineBytes) + ")");
}

void Room::command(Member& member, std::string_view line) {
  const auto [name, rest] = firstWord(line);
  if (name == "/who") {
    std::vector<std::string> nicks;
    nicks.reserve(members_.size());
    for (const auto& [id, other] : members_) nicks.push_back(other.nick);
    std::sort(nicks.begin(), nicks.end());
    std::string list;
    for (const auto& nick : nicks) list += (list.empty() ? "" : ", ") + nick;
    tell(member, "* here (" + std::to_string(nicks.size()) + "): " + list);
  } else if (name == "/nick") {
    changeNick(member, rest);
  } else if (name == "/msg") {
    const auto [to, text] = firstWord(rest);
    const auto target = byNick_.find(lower(to));
    if (to.empty() || text.empty()) {
      tell(member, "* usage: /msg NICK text");
    } else if (target == byNick_.end()) {
      tell(member, "* no one here is called " + shown(to) + " (/who lists who is)");
    } else {
      Member& other = members_.at(target->second);
      tell(other, "* " + member.nick + " to you: " + shown(text));
      tell(member, "* to " + other.nick + ": " + shown(text));
    }
  } else if (name == "/help") {
    tell(member, std::string("* commands: ") + kHelp);
  } else {
    tell(member, "* unknown command " + shown(name) + " (" + kHelp + ")");
  }
}

void Room::rename(MemberId id, std::string_view nick) {
  Member* member = find(id);
  if (member != nullptr && member->nick != nick) changeNick(*member, nick);
}

void Room::changeNick(Member& member, std::string_view wanted) {
  std::string why = chat::Nickname::roomProblem(wanted);
  if (why.empty() && nickTaken(wanted) && lower(wanted) != lower(member.nick)) {
    why = "someone here is called that already";
  }
  if (!why.empty()) {
    ++counters_.nicksRefused;
    tell(member, "* you are still " + member.nick + ": '" + shown(wanted) + "' cannot be used (" +
                     why + ")");
    return;
  }
  const std::string old = member.nick;
  byNick_.erase(lower(old));
  member.nick = std::string(wanted);
  byNick_[lower(member.nick)] = member.id;
  tellAll("* " + old + " is now " + member.nick, nullptr);
}

void Room::leave(MemberId id, const std::string& why) {
  const auto it = members_.find(id);
  if (it == members_.end()) return;
  const std::string nick = it->second.nick;
  const std::string key = it->second.addressKey;
  byNick_.erase(lower(nick));
  if (--perAddress_[key] == 0) perAddress_.erase(key);
  members_.erase(it);
  ready_.erase(std::remove(ready_.begin(), ready_.end(), id), ready_.end());
  ++counters_.left;
  const std::string notice =
      why.empty() ? "* " + nick + " left" : "* " + nick + " is gone (" + why + ")";
  tellAll(notice, nullptr);
  log("* room: " + notice.substr(2));
}

std::vector<MemberId> Room::idle(std::int64_t nowNs) const {
  std::vector<MemberId> out;
  for (const auto& [id, member] : members_) {
    if (nowNs - member.lastHeardNs > limits_.idleTimeoutNs) out.push_back(id);
  }
  return out;
}

void Room::tell(Member& member, const std::string& text) {
  deliver(member, std::make_shared<const std::string>(text));
}

void Room::tellAll(const std::string& text, const Member* except) {
  const auto shared = std::make_shared<const std::string>(text);
  for (auto& [id, member] : members_) {
    if (&member != except) deliver(member, shared);
  }
}

void Room::deliver(Member& member, const std::shared_ptr<const std::string>& text) {
  const std::size_t dropped = member.queue.push(text);
  ++counters_.fannedOut;
  if (dropped > 0) {
    counters_.dropped += dropped;
    member.droppedSinceLog += dropped;
    if (nowNs_ - member.lastDropLogNs >= kSecondNs) {
      log("* room: " + member.nick + " is not keeping up: dropped its " +
          std::to_string(member.droppedSinceLog) + " oldest lines (" +
          std::to_string(member.queue.dropped()) + " in all)");
      member.lastDropLogNs = nowNs_;
      member.droppedSinceLog = 0;
    }
  }
  if (!member.ready) {
    member.ready = true;
    ready_.push_back(member.id);
  }
}

std::vector<MemberId> Room::takeReady() {
  std::vector<MemberId> out;
  out.swap(ready_);
  for (const MemberId id : out) {
    if (Member* member = find(id)) member->ready = false;
  }
  return out;
}

MemberQueue* Room::queue(MemberId id) {
  Member* member = find(id);
  return member == nullptr ? nullptr : &member->queue;
}

}  // namespace pigeon::room
