#pragma once

#include "chat/ChatOutput.h"
#include "chat/Nickname.h"
#include "chat/RoomPack.h"
#include "chat/TerminalText.h"
#include "metrics/SequenceTracker.h"
#include "transport/Transport.h"
#include "transport/TransportError.h"

#include <Poco/Timespan.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pigeon::chat {

struct ChatSettings {
  std::string nick = "pigeon";
  bool speakPlain = false;  // --plain: send raw text, no frames, no greeting
  bool listening = false;   // the peer came to us
  // The peer is a room (`pigeon chat --room`): each line it sends names its
  // speaker, and over a transport without a connection a member sends a
  // keepalive after this long without sending (the room expires silent
  // members); keepaliveInterval below is the pigeon-to-pigeon one.
  bool room = false;
  Poco::Timespan roomKeepAliveInterval{5, 0};
  Poco::Timespan pollInterval{0, 100'000};
  // A listener whose connected peer has not spoken by the time it must send
  // waits this long for a pigeon greeting, then takes the peer to be plain
  // (nc, socat): pigeons greet the moment they connect.
  Poco::Timespan greetingWait{0, 500'000};
  // Pigeon to pigeon over udp and tcp (rudp keeps alive on its own): a
  // side that has sent nothing for this long sends a keepalive; a peer not
  // heard from for kQuietAfterKeepalives of them is said to have gone quiet
  // (frozen, or the path is down), and its return is said too. A line that
  // cannot be handed to the transport for this long is said to be waiting
  // (a peer that does not read). 0: no keepalives, nothing said.
  Poco::Timespan keepaliveInterval{1, 0};
};

// One chat between two people over one transport. The network side runs in
// runReceiver() on its own thread while another thread (stdin) calls
// sendLine(): neither waits for the other.
//
// Between pigeons every line is a kData frame on stream 1 with a sequence
// number, and each arrival is shown with what the transport did to it: a
// gap, a reorder, a duplicate. A plain peer's bytes are shown chunk by chunk
// as they arrive, never held back for a line end.
class ChatSession {
 public:
  enum class LineResult { kSent, kQuit, kRejected };

  static constexpr std::uint32_t kControlStream = wire::kControlStreamId;  // hello, bye
  static constexpr std::uint32_t kChatStream = 1;                          // what people type
  static constexpr std::size_t kMaxUnacknowledged = 1024;
  static constexpr std::size_t kMaxNickBytes = Nickname::kMaxBytes;
  // How `pigeon link` begins the one line it sends a TCP client on its UDP
  // port (it relays UDP only); a chat shows it as that, not as a plain peer.
  static constexpr std::string_view kLinkNoticePrefix = "pigeon link: ";
  static constexpr int kQuietAfterKeepalives = 3;
  // A network thread that did not turn for this long was stopped.
  static constexpr std::int64_t kStoppedAfterNs = 2'000'000'000;

  ChatSession(transport::Transport& transport, ChatSettings settings, ChatOutput& output);

  // What the transport did to a message, said plainly ("[duplicate]");
  // empty when it came in order. Rooms mark lines the same way.
  static std::string describeArrival(const metrics::SequenceTracker::Arrival& arrival);

  ChatSession(const ChatSession&) = delete;
  ChatSession& operator=(const ChatSession&) = delete;

  // The connecting side says who it is (nothing in plain mode).
  void greet();

  // Receives and shows until the peer leaves, stop() is called, or the
  // network fails (see failure()). Catches everything; never throws.
  void runReceiver();

  // Waits until a listening UDP session has heard from its peer.
  bool waitForPeer(Poco::Timespan timeout);

  // Sends one line the user typed (without its newline). "/quit" and "quit"
  // end the chat: the peer is told and kQuit returned. A line that cannot
  // be sent (too long) is reported and kRejected returned; the chat goes on.
  LineResult sendLine(std::string_view line);

  // Waits until the session ends on its own (peer left, network failed).
  bool waitForEnd(Poco::Timespan timeout);

  // Tells a pigeon peer that we are leaving.
  void leave();

  // A reliable transport confirmed that our message `sequence` arrived
  // (rudp): shown as a mark next to what was typed. Thread safe.
  void acknowledged(std::uint32_t streamId, std::uint64_t sequence, std::int64_t roundTripNs,
                    std::uint32_t transmissions);

  void stop() { stopped_ = true; }
  bool ended() const { return ended_; }
  bool peerLeft() const { return peerLeft_; }
  // Anything at all came from the peer: a frame or plain bytes.
  bool heardFromPeer() const { return heardFromPeer_; }
  std::optional<transport::TransportError> failure() const;

 private:
  void onMessage(const transport::Incoming& in);
  void onPlain(const transport::Incoming& in);
  void showData(const wire::Header& header, wire::ByteSpan payload);
  void showPack(const transport::Incoming& in);               // room over udp: RoomPack
  void send(wire::MessageType type, wire::ByteSpan payload);  // sendMutex_ held
  // Keepalive and liveness, network thread only (runReceiver).
  bool keepsAlive() const;
  void keepAlive(std::int64_t nowNs);
  void heardFromPigeon(std::int64_t nowNs);
  void greetLocked();       // sendMutex_ held
  void sendBye();           // sendMutex_ held
  void keepAliveIfQuiet();  // room over udp: an empty frame on the control stream
  // An empty frame on the control stream, never shown: it only says we are
  // here. Both keepalives send it; the caller holds sendMutex_.
  void sendKeepaliveLocked(std::int64_t nowNs);
  bool speakPlain();
  void end();
  void peerFailed(const transport::TransportError& e);  // records it, ends the session
  std::string peerLabel() const;

  transport::Transport& transport_;
  ChatSettings settings_;
  ChatOutput& output_;

  std::mutex sendMutex_;  // one sender at a time: stdin thread and replies
  std::uint64_t nextSequence_ = 0;
  // Not under sendMutex_: a sender blocked on a full window waits for the
  // very acknowledgements that need this.
  std::mutex ackMutex_;
  std::map<std::uint64_t, std::string> unacknowledged_;  // ackMutex_ guards
  bool greeted_ = false;

  // Receiving side, network thread only.
  metrics::SequenceTracker tracker_;
  std::vector<wire::Frame> packLines_;  // showPack's, reused
  TerminalText plainText_;
  bool plainPeerAnnounced_ = false;
  std::atomic<bool> heardFromPeer_{false};
  bool brokeProtocol_ = false;

  mutable std::mutex stateMutex_;
  std::condition_variable stateChanged_;
  std::string peerNick_;
  std::optional<transport::TransportError> failure_;
  std::atomic<bool> stopped_{false};
  std::atomic<bool> ended_{false};
  std::atomic<bool> peerLeft_{false};
  std::atomic<bool> saidBye_{false};

  // Keepalive (ChatSettings::keepaliveInterval).
  std::atomic<std::int64_t> lastSentNs_{0};
  std::atomic<std::int64_t> sendingSinceNs_{0};  // a line is being handed over; 0: none
  std::int64_t lastHeardNs_ = 0;                 // network thread
  std::int64_t lastTurnNs_ = 0;                  // network thread: its last keepAlive()
  bool quiet_ = false;                           // network thread
  bool saidWaiting_ = false;                     // network thread
};

}  // namespace pigeon::chat
