#include "room/RoomRudpServer.h"

#include "bench/SourceKey.h"
#include "room/RoomWire.h"
#include "transport/Endpoint.h"
#include "transport/TransportError.h"
#include "transport/TransportFactory.h"
#include "wire/Clock.h"

#include <Poco/Thread.h>

#include <algorithm>

namespace pigeon::room {

namespace {

constexpr std::size_t kMaxAcceptsPerTurn = 64;
constexpr int kMaxReceivesPerTurn = 16;  // per member, then the next one's turn

transport::TransportOptions rudpOptions(const RoomLimits& limits) {
  transport::TransportOptions options;
  options.rudp.maxConnections = limits.maxMembers + 64;
  options.rudp.sendTimeoutMs = 0;   // a full window is said at once: the room never waits
  options.rudp.closeTimeoutMs = 0;  // nor for a leaving member's acknowledgements
  // A member killed without a goodbye is found out by silence: rudp asks a
  // quiet member's stack to answer (every eighth of the limit, so a lossy
  // link loses all of those asks only rarely), and one that answers nothing
  // for the limit is gone (rudp's own default is 10 s).
  options.rudp.idleTimeoutMs =
      std::min(RoomRudpServer::kMostSilenceNs, limits.idleTimeoutNs) / 1'000'000;
  options.rudp.keepaliveIntervalMs = std::max<std::int64_t>(options.rudp.idleTimeoutMs / 8, 10);
  return options;
}

}  // namespace

RoomRudpServer::RoomRudpServer(const Poco::Net::SocketAddress& local, const RoomLimits& limits,
                               Room::Log log)
    : room_(limits, std::move(log)),
      listener_(transport::listenOn(transport::TransportKind::kRudp, local, rudpOptions(limits))),
      address_(listener_->localAddress()) {}

RoomRudpServer::~RoomRudpServer() = default;

void RoomRudpServer::acceptWaiting(std::int64_t nowNs) {
  for (std::size_t i = 0; i < kMaxAcceptsPerTurn; ++i) {
    auto connection = listener_->accept(Poco::Timespan(0));
    if (!connection) return;
    const MemberId id = nextId_++;
    Member& m = members_[id];
    m.address = transport::formatAddress(connection->peerAddress());
    m.addressKey = bench::SourceKey::rateLimited(connection->peerAddress());
    m.connection = std::move(connection);
    m.acceptedNs = nowNs;
  }
}

void RoomRudpServer::tellOfStranger() {
  const auto stranger = listener_->wrongProtocolPeer();
  if (!stranger || stranger == toldOfStranger_) return;
  toldOfStranger_ = stranger;
  room_.log("* room: " + transport::formatAddress(*stranger) +
            " is knocking with plain udp (pigeon frames without rudp's handshake), but this room "
            "serves rudp: members join with `pigeon chat -t rudp --room`");
}

void RoomRudpServer::take(MemberId id, Member& m, const transport::Incoming& in,
                          std::int64_t nowNs) {
  const auto text =
      std::string_view(reinterpret_cast<const char*>(in.payload.data()), in.payload.size());
  if (!m.joined) {
    const bool hello = in.header.type == wire::MessageType::kHello;
    wire::Header header;
    header.type = wire::MessageType::kHello;
    header.streamId = RoomWire::kControlStream;
    m.connection->sendMessage(header, wire::asBytes("room"));  // before its first line
    if (!room_.join(id, m.address, m.addressKey, hello ? text : std::string_view{}, nowNs)) {
      close(m, "room full");
      return;
    }
    m.joined = true;
    if (hello) return;
  }
  if (room_.frame(id, in.header.type, in.header.streamId, text, nowNs) == Room::Heard::kQuit) {
    close(m, "");
  }
}

void RoomRudpServer::receiveFrom(MemberId id, Member& m, std::int64_t nowNs) {
  try {
    for (int i = 0; i < kMaxReceivesPerTurn && !m.closing; ++i) {
      const transport::Incoming in = m.connection->receive(Poco::Timespan(0));
      if (in.kind == transport::Incoming::Kind::kTimeout) return;
      if (in.kind == transport::Incoming::Kind::kClosed) {
        close(m, m.joined ? "connection closed" : "");
        return;
      }
      if (in.kind == transport::Incoming::Kind::kMessage) take(id, m, in, nowNs);
    }
  } catch (const transport::TransportError& e) {
    close(m, e.code() == transport::TransportError::Code::kTimedOut ? "went silent"
                                                                    : "connection lost");
  }
}

void RoomRudpServer::sendTo(MemberId id, Member& m) {
  MemberQueue* queue = room_.queue(id);
  if (queue == nullptr || m.closing) return;
  try {
    while (!queue->empty()) {
      wire::Header header;
      header.type = wire::MessageType::kData;
      header.streamId = RoomWire::kChatStream;
      header.sequence = queue->front().sequence;
      m.connection->sendMessage(header, wire::asBytes(*queue->front().text));
      queue->pop();
    }
  } catch (const transport::TransportError& e) {
    // With no send timeout, kTimedOut is a full window: the rest waits.
    if (e.code() != transport::TransportError::Code::kTimedOut) close(m, "connection lost");
  }
}

void RoomRudpServer::close(Member& m, std::string why) {
  if (m.closing) return;
  m.closing = true;
  m.goneWhy = std::move(why);
}

void RoomRudpServer::run(const std::atomic<bool>& stop) {
  while (!stop) {
    std::int64_t now = wire::steadyNowNs();
    acceptWaiting(now);
    tellOfStranger();
    for (auto& [id, m] : members_) {
      if (!m.closing) receiveFrom(id, m, now);
      if (!m.joined && !m.closing && now - m.acceptedNs > kJoinTimeoutNs) {
        close(m, "never said hello");
      }
    }
    const auto ready = room_.takeReady();
    sending_.insert(sending_.end(), ready.begin(), ready.end());
    std::sort(sending_.begin(), sending_.end());
    sending_.erase(std::unique(sending_.begin(), sending_.end()), sending_.end());
    for (const MemberId id : sending_) {
      const auto it = members_.find(id);
      if (it != members_.end()) sendTo(id, it->second);
    }
    sending_.erase(std::remove_if(sending_.begin(), sending_.end(),
                                  [this](MemberId id) {
                                    const MemberQueue* queue = room_.queue(id);
                                    return queue == nullptr || queue->empty();
                                  }),
                   sending_.end());
    // Closing one tells the others, who may then have lines to send.
    for (auto it = members_.begin(); it != members_.end();) {
      if (!it->second.closing) {
        ++it;
        continue;
      }
      if (it->second.joined) room_.leave(it->first, it->second.goneWhy);
      it->second.connection->close();
      it = members_.erase(it);
    }
    publish(room_);
    Poco::Thread::sleep(2);  // rudp's own thread has the socket; this one only looks
  }
  closeAll();
}

void RoomRudpServer::closeAll() {
  for (auto& [id, m] : members_) {
    try {
      if (const MemberQueue* queue = room_.queue(id); queue != nullptr && m.joined) {
        wire::Bytes count(8);
        wire::putU64(count.data(), queue->nextSequence());
        wire::Header header;
        header.type = wire::MessageType::kBye;
        header.streamId = RoomWire::kControlStream;
        m.connection->sendMessage(header, count);
      }
    } catch (const transport::TransportError&) {
      // It is going anyway.
    }
    m.connection->close();
  }
  members_.clear();
  publish(room_);
}

}  // namespace pigeon::room
