#pragma once

#include "transport/rudp/DropReason.h"
#include "transport/rudp/RudpCounters.h"
#include "transport/rudp/RudpOptions.h"
#include "transport/rudp/RudpReceiver.h"
#include "transport/rudp/RudpSender.h"
#include "wire/Codec.h"

#include <functional>
#include <optional>
#include <string>

namespace pigeon::transport::rudp {

// What a handshake settled (RudpConnector, HandshakeResponder). Plain value.
struct ConnectionParams {
  enum class Role { kClient, kListener };
  Role role = Role::kClient;
  std::uint32_t connectionId = 0;
  std::uint64_t localIsn = 0;  // our first wire sequence number
  std::uint64_t peerIsn = 0;   // the peer's
  std::uint32_t peerWindow = 0;
  ArqScheme arq = ArqScheme::kSelectiveRepeat;
  DeliveryMode delivery = DeliveryMode::kOrdered;
  std::int64_t handshakeRttNs = -1;  // a first RTT sample, if the handshake gave one
};

// One established rudp connection: a sender, a receiver, acks, keepalive,
// idle detection and close. No socket and no clock (minnow/KCP style): the
// caller passes time in, feeds datagrams to inputDatagram(), calls update()
// by nextTimeoutNs(), and datagrams leave through the transmit callback,
// synchronously, from inside these calls. Not thread safe.
//
// Acks (RFC 9000 13.2 style, with no delay timer): every second data
// datagram, and any out of order, duplicate or discarded one, or one
// arriving while a message is missing, is acknowledged at once; otherwise
// input only notes that an ack is due and flushAcks() sends it (update()
// flushes too, and nextTimeoutNs() is "now" while one is due), so a caller
// reading a batch of datagrams acks the in-order ones in pairs and then
// the rest together. An ack echoes the last data datagram and
// carries the cumulative point, the receive window and up to 32 SACK
// ranges. A peer silent for keepaliveIntervalMs is asked to answer; one
// silent for idleTimeoutMs fails the connection. Close is confirmed by the
// peer only once it has every message sent before it (like TCP's FIN).
class RudpConnection {
 public:
  enum class State {
    kOpen,
    kClosing,     // close() called: Close sent, waiting for CloseAck
    kClosed,      // close confirmed, or given up after closeTimeoutMs
    kPeerClosed,  // the peer closed and we have everything it sent
    kFailed,      // the peer fell silent; see failure()
  };
  using Transmit = std::function<void(wire::ByteSpan datagram)>;

  // A listener's connection sends its Accept at once.
  RudpConnection(const RudpOptions& options, const ConnectionParams& params, Transmit transmit,
                 std::int64_t nowNs);

  void setAckedHandler(RudpSender::AckedHandler handler);

  // Sending. send() needs canSend(); returns the message's index.
  bool canSend() const;
  std::uint64_t send(const wire::Header& header, wire::ByteSpan payload, std::int64_t nowNs);
  bool allAcked() const { return sender_.allAcked(); }

  // One datagram from the peer's address. Counts it, drops it if it is not
  // valid rudp for this connection (saying why), else acts on it.
  InputResult inputDatagram(wire::ByteSpan datagram, std::int64_t nowNs);
  InputResult input(const wire::Frame& frame, std::int64_t nowNs);

  // Sends the ack that input made due, if any.
  void flushAcks();

  // Flushes acks and runs the timers due by `nowNs`; call again at
  // nextTimeoutNs().
  void update(std::int64_t nowNs);
  std::int64_t nextTimeoutNs() const;

  // Receiving: messages ready for the application, in delivery order.
  bool hasMessage() const { return receiver_.hasMessage(); }
  std::optional<RudpMessage> takeMessage(std::int64_t nowNs);

  void close(std::int64_t nowNs);

  State state() const { return state_; }
  bool closeConfirmed() const { return closeConfirmed_; }
  const std::string& failure() const { return failure_; }  // why kFailed
  const ConnectionParams& params() const { return params_; }
  RudpCounters counters() const;
  const RudpSender& sender() const { return sender_; }
  const RudpReceiver& receiver() const { return receiver_; }

 private:
  InputResult onData(const wire::Frame& frame);
  InputResult onAck(const wire::Frame& frame);
  InputResult onClose(const wire::Frame& frame);
  void transmitData(const RudpSender::Outstanding& m, std::uint64_t wireSequence,
                    std::uint64_t transmissionId);
  void sendAck(std::uint8_t flags, std::uint64_t echoSequence, std::uint64_t echoTransmission);
  void sendClose();
  void sendAccept();
  void checkPeerClose();
  void emit();

  RudpOptions options_;
  ConnectionParams params_;
  Transmit transmit_;
  RudpCounters counters_;
  SequenceSpace peerSpace_;
  RudpSender sender_;
  RudpReceiver receiver_;
  State state_ = State::kOpen;
  std::string failure_;
  bool closeConfirmed_ = false;

  std::int64_t nowNs_;
  std::int64_t lastReceiveNs_;
  std::int64_t lastProbeNs_;
  std::int64_t persistAtNs_ = kNever;  // probe a closed peer window
  std::int64_t persistIntervalNs_ = 0;
  std::int64_t closeDeadlineNs_ = kNever;
  std::int64_t closeRetryAtNs_ = kNever;
  std::int64_t closeIntervalNs_ = 0;
  std::optional<std::uint64_t> peerFinalIndex_;  // from the peer's Close
  bool peerCloseAnswered_ = false;
  std::uint32_t lastAdvertisedWindow_;
  bool ackDue_ = false;
  int dueCount_ = 0;           // data datagrams the due ack covers
  std::uint8_t dueFlags_ = 0;  // echo flags of the last data datagram taken
  std::uint64_t dueEchoSequence_ = 0;
  std::uint64_t dueEchoTransmission_ = 0;

  AckPacket ack_;        // reused
  wire::Bytes out_;      // the datagram being built
  wire::Bytes scratch_;  // data payload assembly
};

}  // namespace pigeon::transport::rudp
