#include "room/RoomUdpServer.h"

#include "bench/SourceKey.h"
#include "chat/ChatSession.h"
#include "room/RoomWire.h"
#include "transport/Endpoint.h"
#include "transport/SocketStats.h"
#include "transport/UdpTransport.h"
#include "wire/Clock.h"
#include "wire/Codec.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>

namespace pigeon::room {

namespace {
constexpr std::size_t kSlotBytes = 4096;  // a room line is far smaller; larger: too long
}

RoomUdpServer::RoomUdpServer(const Poco::Net::SocketAddress& local, const RoomLimits& limits,
                             Room::Log log)
    : room_(limits, std::move(log)), socket_(local.family()), received_(kBatch, kSlotBytes) {
  transport::bindDatagramSocket(socket_, local);
  fd_ = socket_.impl()->sockfd();
  transport::enlargeReceiveBuffer(fd_, 4 << 20);
  int sendBuffer = 4 << 20;
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &sendBuffer, sizeof sendBuffer);
}

RoomUdpServer::~RoomUdpServer() = default;

MemberId RoomUdpServer::join(const transport::SourceAddress& from, const std::string& key,
                             bool plain, std::string_view nick, std::int64_t nowNs) {
  const Poco::Net::SocketAddress address = from.toSocketAddress();
  const MemberId id = nextId_++;
  if (!room_.join(id, transport::formatAddress(address), bench::SourceKey::rateLimited(address),
                  nick, nowNs)) {
    return 0;  // not answered: a reply to a stranger could be aimed at anyone
  }
  if (!plain) {  // before the room's first line to it, which is only queued yet
    wire::Bytes hello;
    RoomWire::appendHello(hello);
    ::sendto(fd_, hello.data(), hello.size(), MSG_DONTWAIT, address.addr(), address.length());
  }
  Member& member = members_[id];
  member.to = address;
  member.plain = plain;
  if (!plain) member.inbound = std::make_unique<metrics::SequenceTracker>();
  byEndpoint_[key] = id;
  endpointOf_[id] = key;
  return id;
}

void RoomUdpServer::leave(MemberId id, const std::string& why) {
  room_.leave(id, why);
  const auto key = endpointOf_.find(id);
  if (key != endpointOf_.end()) {
    byEndpoint_.erase(key->second);
    endpointOf_.erase(key);
  }
  members_.erase(id);
}

void RoomUdpServer::take(wire::ByteSpan datagram, const transport::SourceAddress& from,
                         bool truncated, std::int64_t nowNs) {
  const Poco::Net::SocketAddress address = from.toSocketAddress();
  if (bench::SourceKey::isServerPort(address.port())) {
    ++room_.counters().refused;  // before any state is kept for it
    return;
  }
  const std::string key = bench::SourceKey::endpoint(address);
  const auto found = byEndpoint_.find(key);
  MemberId id = found == byEndpoint_.end() ? 0 : found->second;
  const bool framed = datagram.size() >= 3 && wire::startsLikeFrame(datagram);
  if (!framed) {
    if (id == 0) id = join(from, key, true, {}, nowNs);
    if (id == 0) return;
    if (truncated) {
      room_.tooLong(id, datagram.size());
      return;
    }
    // One datagram, one or more lines.
    auto text = std::string_view(reinterpret_cast<const char*>(datagram.data()), datagram.size());
    while (!text.empty() && room_.has(id)) {
      const auto end = text.find('\n');
      const std::string_view line = text.substr(0, end);
      if (room_.hear(id, line, nowNs) == Room::Heard::kQuit) {
        leave(id, "");
        return;
      }
      if (end == std::string_view::npos) break;
      text.remove_prefix(end + 1);
    }
    return;
  }
  const auto decoded = wire::decodeDatagram(datagram);
  if (!decoded.ok() || truncated) {
    ++room_.counters().malformed;
    return;
  }
  const wire::Frame& frame = decoded.frame;
  const auto text =
      std::string_view(reinterpret_cast<const char*>(frame.payload.data()), frame.payload.size());
  if (id == 0) {
    if (frame.header.type == wire::MessageType::kBye) return;  // a late goodbye
    if (frame.header.type == wire::MessageType::kData &&
        frame.header.streamId != RoomWire::kChatStream) {
      return;  // a keepalive from one who has left: it joins again when it speaks
    }
    const bool hello = frame.header.type == wire::MessageType::kHello;
    id = join(from, key, false, hello ? text : std::string_view{}, nowNs);
    if (id == 0 || hello) return;
  }
  Member& member = members_.at(id);
  std::string note;  // what the network did to it on the way in
  if (frame.header.type == wire::MessageType::kData &&
      frame.header.streamId == RoomWire::kChatStream && member.inbound) {
    note = chat::ChatSession::describeArrival(member.inbound->record(frame.header.sequence));
  }
  if (room_.frame(id, frame.header.type, frame.header.streamId, text, nowNs, note) ==
      Room::Heard::kQuit) {
    leave(id, "");
  }
}

void RoomUdpServer::receive(std::int64_t nowNs) {
  for (int turn = 0; turn < 16; ++turn) {  // then let sending have its turn
    const int n = received_.receiveQueued(fd_);
    if (n <= 0) return;
    for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
      take(received_.datagram(i), received_.source(i), received_.truncated(i), nowNs);
    }
    if (static_cast<std::size_t>(n) < kBatch) return;
  }
}

bool RoomUdpServer::send() {
  const auto ready = room_.takeReady();
  if (!ready.empty()) {
    sending_.insert(sending_.end(), ready.begin(), ready.end());
    std::sort(sending_.begin(), sending_.end());
    sending_.erase(std::unique(sending_.begin(), sending_.end()), sending_.end());
  }
  std::array<mmsghdr, kBatch> headers{};
  std::array<iovec, kBatch> iov{};
  auto& datagrams = outgoing_;
  // At most kSendTurns batches, then reading has its turn again: a long
  // fan-out never leaves what members say waiting in the socket.
  for (int turn = 0; turn < kSendTurns && !sending_.empty(); ++turn) {
    std::size_t count = 0;
    // Lines of several members per sendmmsg, each member's in order.
    std::size_t next = 0;
    for (; next < sending_.size() && count < kBatch; ++next) {
      const MemberId id = sending_[next];
      MemberQueue* queue = room_.queue(id);
      const auto member = members_.find(id);
      if (queue == nullptr || member == members_.end()) continue;
      // Several lines in one datagram when the queue holds them (RoomWire).
      std::size_t lines = 0;
      while (lines < queue->size() && count < kBatch) {
        wire::Bytes& bytes = datagrams[count].bytes;
        bytes.clear();
        const std::size_t taken =
            member->second.plain
                ? RoomWire::appendPlainDatagram(*queue, lines, member->second.expected, bytes)
                : RoomWire::appendDatagram(*queue, lines, packScratch_, bytes);
        lines += taken;
        datagrams[count].member = id;
        datagrams[count].lines = taken;
        iov[count] = {bytes.data(), bytes.size()};
        headers[count] = {};
        headers[count].msg_hdr.msg_name = const_cast<sockaddr*>(member->second.to.addr());
        headers[count].msg_hdr.msg_namelen = member->second.to.length();
        headers[count].msg_hdr.msg_iov = &iov[count];
        headers[count].msg_hdr.msg_iovlen = 1;
        ++count;
      }
      if (count == kBatch && lines < queue->size()) break;  // this member has more: keep it
    }
    if (count == 0) {
      sending_.clear();
      return true;
    }
    int sent = ::sendmmsg(fd_, headers.data(), static_cast<unsigned>(count), MSG_DONTWAIT);
    if (sent < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
        // Lines not sent stay queued; plain members' gap notes are redone.
        for (std::size_t i = 0; i < count; ++i) {
          const auto member = members_.find(datagrams[i].member);
          const MemberQueue* queue = room_.queue(datagrams[i].member);
          if (member != members_.end() && member->second.plain && queue != nullptr) {
            member->second.expected = std::min(member->second.expected, queue->front().sequence);
          }
        }
        return false;
      }
      sent = 1;  // that destination refused it (say, unreachable): drop it, go on
    }
    for (std::size_t i = 0; i < static_cast<std::size_t>(sent); ++i) {
      if (MemberQueue* queue = room_.queue(datagrams[i].member)) {
        for (std::size_t n = 0; n < datagrams[i].lines && !queue->empty(); ++n) queue->pop();
      }
    }
    // Members whose queue is empty are done.
    sending_.erase(std::remove_if(sending_.begin(), sending_.end(),
                                  [this](MemberId id) {
                                    const MemberQueue* queue = room_.queue(id);
                                    return queue == nullptr || queue->empty();
                                  }),
                   sending_.end());
  }
  return true;
}

void RoomUdpServer::expire(std::int64_t nowNs) {
  for (const MemberId id : room_.idle(nowNs)) {
    ++room_.counters().expired;
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%g",
                  static_cast<double>(room_.limits().idleTimeoutNs) / 1e9);
    leave(id, "silent for " + std::string(seconds) + " s");
  }
}

void RoomUdpServer::run(const std::atomic<bool>& stop) {
  std::int64_t lastExpiryNs = 0;
  bool blocked = false;
  while (!stop) {
    pollfd p{fd_, static_cast<short>(POLLIN | (blocked ? POLLOUT : 0)), 0};
    ::poll(&p, 1, !blocked && !sending_.empty() ? 0 : 5);
    const std::int64_t now = wire::steadyNowNs();
    if ((p.revents & POLLIN) != 0) receive(now);
    if (now - lastExpiryNs > 200'000'000) {
      lastExpiryNs = now;
      expire(now);
    }
    blocked = !send();
    publish(room_);
  }
  closeAll();
}

void RoomUdpServer::closeAll() {
  for (auto& [id, member] : members_) {
    wire::Bytes last;
    if (member.plain) {
      const std::string text = "* the room is closing\n";
      last.assign(text.begin(), text.end());
    } else if (const MemberQueue* queue = room_.queue(id)) {
      RoomWire::appendBye(queue->nextSequence(), last);
    }
    ::sendto(fd_, last.data(), last.size(), MSG_DONTWAIT, member.to.addr(), member.to.length());
  }
  publish(room_);
}

}  // namespace pigeon::room
