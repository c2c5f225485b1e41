#include "chat/ChatSession.h"

#include "transport/Endpoint.h"
#include "wire/Clock.h"

#include <chrono>
#include <cstdio>

namespace pigeon::chat {

using transport::Incoming;
using transport::PeerKind;
using transport::TransportError;
using wire::MessageType;

namespace {

static_assert(RoomPack::kLineStream == ChatSession::kChatStream);

std::string plural(std::uint64_t n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

// Drops the CR of each CRLF: line ends from telnet-like peers.
wire::Bytes withoutCrBeforeLf(wire::ByteSpan bytes) {
  wire::Bytes out;
  out.reserve(bytes.size());
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] == '\r' && i + 1 < bytes.size() && bytes[i + 1] == '\n') continue;
    out.push_back(bytes[i]);
  }
  return out;
}

}  // namespace

ChatSession::ChatSession(transport::Transport& transport, ChatSettings settings, ChatOutput& output)
    : transport_(transport), settings_(std::move(settings)), output_(output) {}

std::string ChatSession::describeArrival(const metrics::SequenceTracker::Arrival& arrival) {
  using Kind = metrics::SequenceTracker::Kind;
  switch (arrival.kind) {
    case Kind::kInOrder:
      return "";
    case Kind::kGap:
      return "[" + plural(arrival.missing, "message") + " missing before this]";
    case Kind::kReordered:
      return "[out of order: " + std::to_string(arrival.extent) + " behind the newest]";
    case Kind::kDuplicate:
      return "[duplicate]";
    case Kind::kTooOld:
      return "[very late: too old to tell if duplicate]";
    case Kind::kImplausible:  // a chat sets no ceiling
      return "[impossible sequence number]";
  }
  return "";
}

void ChatSession::send(MessageType type, wire::ByteSpan payload) {
  wire::Header header;
  header.type = type;
  header.streamId = type == MessageType::kData ? kChatStream : kControlStream;
  header.sendTimeNs = static_cast<std::uint64_t>(wire::steadyNowNs());
  if (type == MessageType::kData) {
    header.sequence = nextSequence_++;
    if (transport_.traits().acknowledgesMessages) {
      std::lock_guard lock(ackMutex_);
      if (unacknowledged_.size() < kMaxUnacknowledged) {
        unacknowledged_.emplace(header.sequence,
                                std::string(payload.begin(), payload.end()).substr(0, 40));
      }
    }
  }
  transport_.sendMessage(header, payload);
  lastSentNs_ = wire::steadyNowNs();
}

void ChatSession::keepAliveIfQuiet() {
  if (!settings_.room || transport_.traits().byteStream) return;
  const std::int64_t now = wire::steadyNowNs();
  if (now - lastSentNs_ < settings_.roomKeepAliveInterval.totalMicroseconds() * 1000) return;
  std::lock_guard lock(sendMutex_);
  if (!greeted_) return;
  sendKeepaliveLocked(now);
}

void ChatSession::sendKeepaliveLocked(std::int64_t nowNs) {
  wire::Header header;
  header.type = MessageType::kData;
  header.streamId = kControlStream;
  header.sendTimeNs = static_cast<std::uint64_t>(nowNs);
  transport_.sendMessage(header, {});
  lastSentNs_ = nowNs;
}

void ChatSession::sendBye() {
  // The goodbye says how many messages we sent, so the peer can tell which
  // of the last ones never arrived.
  wire::Bytes count(8);
  wire::putU64(count.data(), nextSequence_);
  send(MessageType::kBye, count);
}

void ChatSession::greet() {
  std::lock_guard lock(sendMutex_);
  greetLocked();
}

void ChatSession::greetLocked() {
  if (greeted_ || settings_.speakPlain) return;
  greeted_ = true;
  send(MessageType::kHello, wire::asBytes(settings_.nick));
}

bool ChatSession::speakPlain() {
  if (settings_.speakPlain) return true;
  if (transport_.peerKind() == PeerKind::kUnknown && settings_.listening) {
    // A pigeon greets as soon as it connects; a silent peer is a person at
    // nc or socat, who would see our frames as garbage.
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::microseconds(settings_.greetingWait.totalMicroseconds());
    std::unique_lock lock(stateMutex_);
    stateChanged_.wait_until(lock, deadline,
                             [&] { return transport_.peerKind() != PeerKind::kUnknown || ended_; });
  }
  return transport_.peerKind() == PeerKind::kPlain ||
         (transport_.peerKind() == PeerKind::kUnknown && settings_.listening);
}

ChatSession::LineResult ChatSession::sendLine(std::string_view line) {
  const bool quit = line == "/quit" || line == "quit";
  try {
    const bool plain = speakPlain();
    std::lock_guard lock(sendMutex_);
    if (!plain) greetLocked();  // our name always comes before our words
    if (quit) {
      if (!plain) sendBye();
      saidBye_ = true;
      return LineResult::kQuit;
    }
    // While this waits on a peer that does not read, the network thread
    // says so (keepAlive).
    sendingSinceNs_ = wire::steadyNowNs();
    struct Sent {
      std::atomic<std::int64_t>& since;
      ~Sent() { since = 0; }
    } sent{sendingSinceNs_};
    if (plain) {
      std::string withNewline(line);
      withNewline += '\n';
      transport_.sendPlain(wire::asBytes(withNewline));
    } else {
      send(MessageType::kData, wire::asBytes(line));
    }
    return LineResult::kSent;
  } catch (const TransportError& e) {
    if (e.code() == TransportError::Code::kMessageTooLong) {
      output_.status("* not sent: " + std::string(e.what()));
      return LineResult::kRejected;
    }
    peerFailed(e);
    return quit ? LineResult::kQuit : LineResult::kRejected;
  }
}

void ChatSession::leave() {
  try {
    std::lock_guard lock(sendMutex_);
    if (saidBye_) return;
    saidBye_ = true;
    // A plain peer must never see a frame: one that has not spoken yet is
    // taken for plain when it came to us (pigeons greet as they connect).
    const PeerKind kind = transport_.peerKind();
    const bool pigeon =
        kind == PeerKind::kPigeon || (kind == PeerKind::kUnknown && !settings_.listening);
    if (!settings_.speakPlain && pigeon && transport_.hasPeer()) sendBye();
  } catch (const TransportError&) {
    // The peer is gone already; there is no one left to tell.
  }
}

bool ChatSession::waitForPeer(Poco::Timespan timeout) {
  std::unique_lock lock(stateMutex_);
  return stateChanged_.wait_for(lock, std::chrono::microseconds(timeout.totalMicroseconds()), [&] {
    return transport_.hasPeer() || ended_;
  }) && transport_.hasPeer();
}

void ChatSession::acknowledged(std::uint32_t streamId, std::uint64_t sequence,
                               std::int64_t roundTripNs, std::uint32_t transmissions) {
  if (streamId != kChatStream) return;
  std::string text;
  {
    std::lock_guard lock(ackMutex_);
    const auto it = unacknowledged_.find(sequence);
    if (it == unacknowledged_.end()) return;
    text = std::move(it->second);
    unacknowledged_.erase(it);
  }
  char timing[64];
  std::snprintf(timing, sizeof timing, "%.1f ms", static_cast<double>(roundTripNs) / 1e6);
  std::string note = "* acknowledged: \"" + text + "\" (" + timing;
  if (transmissions > 1) note += ", sent " + std::to_string(transmissions) + " times";
  output_.status(note + ")");
}

bool ChatSession::waitForEnd(Poco::Timespan timeout) {
  std::unique_lock lock(stateMutex_);
  return stateChanged_.wait_for(lock, std::chrono::microseconds(timeout.totalMicroseconds()),
                                [&] { return ended_.load(); });
}

std::optional<TransportError> ChatSession::failure() const {
  std::lock_guard lock(stateMutex_);
  return failure_;
}

void ChatSession::peerFailed(const TransportError& e) {
  if (heardFromPeer_ && e.code() == TransportError::Code::kConnectionRefused) {
    // A peer we talked with is gone without a goodbye (its goodbye was lost,
    // or it was killed): the end of this chat, not an error.
    if (!peerLeft_.exchange(true)) {
      output_.status("* " + peerLabel() + " is gone (" + e.what() + ")");
    }
  } else {
    std::lock_guard lock(stateMutex_);
    if (!failure_) failure_ = e;
  }
  end();
}

void ChatSession::end() {
  {
    std::lock_guard lock(stateMutex_);
    ended_ = true;
  }
  stateChanged_.notify_all();
}

std::string ChatSession::peerLabel() const {
  std::lock_guard lock(stateMutex_);
  if (!peerNick_.empty()) return peerNick_;
  return transport::formatAddress(transport_.peerAddress());
}

void ChatSession::runReceiver() {
  bool hadPeer = transport_.hasPeer();
  try {
    while (!stopped_ && !ended_) {
      const Incoming in = transport_.receive(settings_.pollInterval);
      if (!hadPeer && transport_.hasPeer()) {
        hadPeer = true;
        stateChanged_.notify_all();
      }
      switch (in.kind) {
        case Incoming::Kind::kTimeout:
          keepAliveIfQuiet();
          break;
        case Incoming::Kind::kMessage:
          heardFromPeer_ = true;
          onMessage(in);
          break;
        case Incoming::Kind::kPlain:
          heardFromPeer_ = true;
          onPlain(in);
          break;
        case Incoming::Kind::kMalformed:
          if (transport_.traits().byteStream) {
            // A stream cannot be resynchronised after a bad frame.
            output_.status("* closing the connection: " + transport::formatAddress(in.from) +
                           " broke the protocol (" + std::string(wire::describe(in.error)) + ")");
            brokeProtocol_ = true;
          } else {
            output_.status("* dropped a malformed message from " +
                           transport::formatAddress(in.from) + ": " +
                           std::string(wire::describe(in.error)));
          }
          break;
        case Incoming::Kind::kClosed: {
          if (const std::string rest = plainText_.flush(); !rest.empty()) {
            output_.message(peerLabel() + ": " + rest);
          }
          if (!peerLeft_ && !saidBye_ && !brokeProtocol_) {
            output_.status("* " + peerLabel() + " closed the connection");
          }
          peerLeft_ = true;
          end();
          break;
        }
      }
      keepAlive(wire::steadyNowNs());
      stateChanged_.notify_all();
    }
  } catch (const TransportError& e) {
    peerFailed(e);
  } catch (const std::exception& e) {
    std::lock_guard lock(stateMutex_);
    if (!failure_) failure_ = TransportError(TransportError::Code::kOther, e.what());
  }
  end();
}

bool ChatSession::keepsAlive() const {
  // rudp keeps its connection alive and times a silent peer out itself; a
  // room member keeps alive on its own schedule (keepAliveIfQuiet), and a
  // room that is quiet because no one talks is not a frozen peer.
  return !settings_.room && settings_.keepaliveInterval.totalMicroseconds() > 0 &&
         !settings_.speakPlain && !transport_.traits().acknowledgesMessages &&
         transport_.peerKind() == PeerKind::kPigeon;
}

void ChatSession::heardFromPigeon(std::int64_t nowNs) {
  if (quiet_ && keepsAlive()) {
    char after[32];
    std::snprintf(after, sizeof after, "%.1f s", static_cast<double>(nowNs - lastHeardNs_) / 1e9);
    output_.status("* " + peerLabel() + " is back after " + after + " of silence");
  }
  quiet_ = false;
  lastHeardNs_ = nowNs;
}

void ChatSession::keepAlive(std::int64_t nowNs) {
  if (!keepsAlive()) return;
  const std::int64_t intervalNs = settings_.keepaliveInterval.totalMicroseconds() * 1000;
  if (lastHeardNs_ == 0) lastHeardNs_ = nowNs;  // a pigeon that has not spoken yet
  // This thread turns at least every receive poll; a gap far beyond that is
  // this process stopped (SIGSTOP, Ctrl-Z) or its machine paused. The peer's
  // silence meanwhile is ours: its words wait in the socket, read next. A
  // gap as long as the silence that makes a peer quiet leaves nothing to
  // judge it by.
  const std::int64_t quietAfterNs = kQuietAfterKeepalives * intervalNs;
  if (lastTurnNs_ != 0 && nowNs - lastTurnNs_ >= std::min(kStoppedAfterNs, quietAfterNs)) {
    char stopped[32];
    std::snprintf(stopped, sizeof stopped, "%.1f s",
                  static_cast<double>(nowNs - lastTurnNs_) / 1e9);
    output_.status(std::string("* this chat was stopped for ") + stopped +
                   " (SIGSTOP, Ctrl-Z, or a paused machine); catching up on what came meanwhile");
    lastHeardNs_ = nowNs;
  }
  lastTurnNs_ = nowNs;
  // A keepalive (an empty frame on the control stream, never shown) when we
  // have been silent for an interval; never from this thread while a line
  // is being sent (the transport is busy with a peer that may not read),
  // nor to a peer gone quiet (one that does not read fills the socket).
  if (nowNs - lastSentNs_ >= intervalNs && sendingSinceNs_ == 0 && !quiet_ && !saidBye_) {
    std::unique_lock lock(sendMutex_, std::try_to_lock);
    if (lock.owns_lock()) sendKeepaliveLocked(nowNs);
  }
  if (!quiet_ && nowNs - lastHeardNs_ >= quietAfterNs) {
    quiet_ = true;
    char silence[32];
    std::snprintf(silence, sizeof silence, "%.1f s",
                  static_cast<double>(nowNs - lastHeardNs_) / 1e9);
    output_.status("* " + peerLabel() + " has gone quiet: nothing from it for " + silence +
                   " (frozen, or the network between is down); still listening");
  }
  const std::int64_t since = sendingSinceNs_;
  if (since != 0 && !saidWaiting_ && nowNs - since >= intervalNs) {
    saidWaiting_ = true;
    output_.status("* " + peerLabel() +
                   " is not reading: its receive buffer and our send queue are full, so what "
                   "you type waits here (Ctrl-C leaves)");
  } else if (since == 0 && saidWaiting_) {
    saidWaiting_ = false;
    output_.status("* " + peerLabel() + " is reading again: what was waiting went out");
  }
}

void ChatSession::onMessage(const Incoming& in) {
  if (transport_.peerKind() == PeerKind::kPigeon) heardFromPigeon(wire::steadyNowNs());
  switch (in.header.type) {
    case MessageType::kHello: {
      const auto nick =
          wire::ByteSpan(in.payload).first(std::min(in.payload.size(), kMaxNickBytes));
      std::string safe = TerminalText::sanitizeLine(nick);
      if (safe.empty()) safe = transport::formatAddress(in.from);
      {
        std::lock_guard lock(stateMutex_);
        peerNick_ = safe;
      }
      greet();  // a listener answers with its own name
      if (settings_.room) {
        output_.status("* in the room at " + transport::formatAddress(in.from) + " over " +
                       transport_.name());
      } else {
        output_.status("* " + safe + " joined from " + transport::formatAddress(in.from) +
                       " over " + transport_.name());
      }
      break;
    }
    case MessageType::kBye: {
      std::string note;
      if (in.payload.size() == 8) {
        const std::uint64_t sent = wire::getU64(in.payload.data());
        if (sent > tracker_.unique()) {
          note = " (" + plural(sent - tracker_.unique(), "message") + " of " +
                 std::to_string(sent) + " never arrived)";
        }
      }
      output_.status((settings_.room ? "* the room closed" : "* " + peerLabel() + " left") + note);
      peerLeft_ = true;
      end();
      break;
    }
    case MessageType::kData:
      if (in.header.streamId == kControlStream) break;  // a keepalive
      if (settings_.room && in.header.streamId == RoomPack::kStream) {
        showPack(in);
        break;
      }
      showData(in.header, in.payload);
      break;
    default:
      if (in.header.type >= MessageType::kRudpConnect &&
          in.header.type <= MessageType::kRudpCloseAck && !transport_.traits().reliable) {
        // rudp's handshake at a plain udp chat: it would wait in vain.
        peerFailed(TransportError(TransportError::Code::kProtocol,
                                  transport::formatAddress(in.from) +
                                      " is knocking with rudp (its connect handshake), but this "
                                      "chat speaks udp: listen with -t rudp to talk to it"));
      }
      break;  // other message types are not part of a chat
  }
}

void ChatSession::showPack(const Incoming& in) {
  const wire::DecodeError error = RoomPack::unpack(in.payload, packLines_);
  if (error != wire::DecodeError::kNone) {  // all or nothing: no line of it is shown
    output_.status("* dropped a malformed message from " + transport::formatAddress(in.from) +
                   ": " + std::string(wire::describe(error)));
    return;
  }
  for (const wire::Frame& line : packLines_) showData(line.header, line.payload);
}

void ChatSession::showData(const wire::Header& header, wire::ByteSpan payload) {
  const auto arrival = tracker_.record(header.sequence);
  if (settings_.room && header.streamId != kChatStream) return;
  // A room's line names its speaker ("alice: hi", "* bob joined").
  std::string line =
      (settings_.room ? "" : peerLabel() + ": ") + TerminalText::sanitizeLine(payload);
  if (const std::string note = describeArrival(arrival); !note.empty()) line += "  " + note;
  output_.message(line);
}

void ChatSession::onPlain(const Incoming& in) {
  const std::string_view bytes(reinterpret_cast<const char*>(in.payload.data()), in.payload.size());
  if (!plainPeerAnnounced_ && transport_.traits().byteStream &&
      bytes.substr(0, kLinkNoticePrefix.size()) == kLinkNoticePrefix) {
    // A `pigeon link` on this port: it relays UDP and told us so.
    const std::size_t lineEnd = std::min({bytes.find('\n'), bytes.size(), std::size_t{200}});
    const auto line = wire::ByteSpan(in.payload).first(lineEnd);
    peerFailed(TransportError(
        TransportError::Code::kProtocol,
        transport::formatAddress(in.from) + " answered: " + TerminalText::sanitizeLine(line)));
    return;
  }
  if (!plainPeerAnnounced_) {
    plainPeerAnnounced_ = true;
    output_.status("* " + transport::formatAddress(in.from) +
                   " speaks plain text (nc, socat, a script): answering in plain text");
  }
  std::string text = plainText_.feed(withoutCrBeforeLf(in.payload));
  if (!transport_.traits().byteStream) text += plainText_.flush();  // a datagram is whole
  if (text.empty()) return;
  const std::string label = peerLabel();
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    output_.message(label + ": " + text.substr(start, end - start));
    start = end + 1;
  }
}

}  // namespace pigeon::chat
