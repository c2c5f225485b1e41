#pragma once

#include "transport/DatagramBatch.h"
#include "transport/SourceAddress.h"
#include "transport/Transport.h"
#include "transport/TransportError.h"
#include "transport/rudp/HandshakeResponder.h"
#include "transport/rudp/RudpConnection.h"
#include "transport/rudp/RudpConnector.h"
#include "transport/rudp/WakeupPipe.h"

#include <Poco/Net/DatagramSocket.h>
#include <Poco/Thread.h>

#include <sys/socket.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace pigeon::transport {

// pigeon messages over rudp, the reliable protocol pigeon builds on UDP
// (docs/rudp.md): one connection to one peer over a Poco DatagramSocket.
// Messages arrive exactly once, ordered or not as the options say, with the
// header fields the sender gave (type, stream id, sequence, send time).
//
// Threading: the transport owns an I/O thread that reads the socket and
// runs the protocol's timers; the protocol state sits behind one mutex.
// sendMessage() encodes under it and sends on the caller's thread once it
// is released; receive() waits for what the I/O thread delivered. As Transport says, one thread may
// send while another receives; flush(), close(), counters() and the queries are safe from any
// thread. The acked handler runs on the I/O thread with no lock held: keep it short and do not call
// close() from it.
class RudpTransport : public Transport {
 public:
  using Options = rudp::RudpOptions;

  // Bound to `local` (port 0: the kernel picks) and answering handshakes at
  // once; the first client whose cookie checks out becomes the one peer.
  // Throws TransportError.
  static std::unique_ptr<RudpTransport> listen(const Poco::Net::SocketAddress& local,
                                               const Options& options = {});

  // Handshakes with `peer` within `timeout`. Throws TransportError:
  // kConnectionRefused (nothing listens there), kTimedOut (no answer).
  static std::unique_ptr<RudpTransport> connect(
      const Poco::Net::SocketAddress& peer, Poco::Timespan timeout, const Options& options = {},
      const std::optional<Poco::Net::SocketAddress>& local = std::nullopt);

  // Stops at once: sends Close (unconfirmed) and joins the I/O thread.
  ~RudpTransport() override;
  RudpTransport(const RudpTransport&) = delete;
  RudpTransport& operator=(const RudpTransport&) = delete;

  // Listener: waits until a peer has connected; false on timeout.
  bool waitForPeer(Poco::Timespan timeout);
  // Listener: the last source that sent pigeon frames of no rudp type before
  // a connection existed (a udp peer at an rudp port), if any.
  std::optional<Poco::Net::SocketAddress> nonRudpSource() const;

  // Blocks while the window is full, up to options.sendTimeoutMs. Throws
  // TransportError: kMessageTooLong, kTimedOut (window stayed full, or the
  // peer fell silent), kPeerClosed (the peer closed or its port is gone),
  // kOther (no peer yet, or closed here). A header.sendTimeNs of 0 is
  // replaced by the time of the first transmission.
  void sendMessage(const wire::Header& header, wire::ByteSpan payload) override;

  // rudp carries pigeon messages only: throws TransportError(kProtocol).
  void sendPlain(wire::ByteSpan bytes) override;

  // The next delivered message (Incoming::kMessage, arrivalNs = when it
  // became deliverable), kTimeout, or kClosed once the peer closed and all
  // it sent was handed up. Throws TransportError when the peer fell silent
  // (kTimedOut) or its port is gone (kPeerClosed), after what had arrived.
  Incoming receive(Poco::Timespan timeout) override;

  // Waits until every message sent so far is acknowledged; false on
  // timeout. Throws like sendMessage when the connection failed.
  bool flush(Poco::Timespan timeout) override;

  // Closes: the peer confirms once it has every message sent; waits for
  // that up to `timeout` (0: does not wait), then stops. Idempotent.
  void close(Poco::Timespan timeout);
  void close() override;  // close(options.closeTimeoutMs)

  void setAckedHandler(AckedHandler handler) override;
  rudp::RudpCounters counters() const;
  std::optional<rudp::RudpCounters> reliabilityCounters() const override { return counters(); }
  // The modes in use (after the handshake, the ones both ends agreed on).
  rudp::ArqScheme arq() const;
  rudp::DeliveryMode delivery() const;

  bool hasPeer() const override { return connected_.load(); }
  Poco::Net::SocketAddress peerAddress() const override;
  Poco::Net::SocketAddress localAddress() const override { return local_; }
  PeerKind peerKind() const override {
    return connected_.load() ? PeerKind::kPigeon : PeerKind::kUnknown;
  }
  std::size_t maxPayload() const override { return rudp::kMaxUserPayload; }
  TransportKind kind() const override { return TransportKind::kRudp; }

 private:
  RudpTransport(Poco::Net::DatagramSocket socket, const Options& options);

  void start();
  void ioLoop();
  void readDatagrams();
  void handleDatagram(wire::ByteSpan datagram, const Poco::Net::SocketAddress& from,
                      std::int64_t nowNs);
  void adopt(const rudp::ConnectionParams& params, const Poco::Net::SocketAddress& peer,
             std::int64_t nowNs);
  void transmit(wire::ByteSpan datagram, const std::optional<Poco::Net::SocketAddress>& to);
  void peerUnreachable();
  std::int64_t nextTimeoutLocked() const;
  void wakeIfSoonerLocked();
  void notifyLocked();
  void notifyAllLocked();
  void throwIfBrokenLocked() const;
  void stop();
  void dispatchAcked();

  Options options_;
  Poco::Net::DatagramSocket socket_;
  Poco::Net::SocketAddress local_;
  rudp::WakeupPipe wakeup_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;   // connected, failed, closed
  std::condition_variable readable_;  // a message is ready (or a state change)
  std::condition_variable writable_;  // the window opened or all was acknowledged
  std::optional<rudp::RudpConnection::State> notifiedState_;
  std::optional<rudp::HandshakeResponder> listener_;
  std::unique_ptr<rudp::RudpConnector> connector_;
  std::unique_ptr<rudp::RudpConnection> connection_;
  std::optional<Poco::Net::SocketAddress> peer_;
  std::atomic<bool> connected_{false};
  std::optional<TransportError> broken_;  // the socket said the peer is gone
  bool closed_ = false;                   // close() was called here
  bool stopping_ = false;
  std::int64_t plannedWakeNs_ = rudp::kNever;
  rudp::RudpCounters handshake_;  // datagrams before the connection existed
  std::optional<Poco::Net::SocketAddress> nonRudpSource_;  // mutex_
  std::vector<rudp::AckedMessage> acked_;
  AckedHandler onAcked_;
  std::mutex handlerMutex_;

  bool deferring_ = false;           // mutex_: transmit() fills the outbox
  std::vector<wire::Bytes> outbox_;  // the sending thread's datagrams, sent unlocked
  std::size_t outboxUsed_ = 0;
  std::mutex socketMutex_;  // unlocked sends vs closing the socket
  Poco::Thread io_{"rudp-io"};
  bool ioJoined_ = false;  // a Poco thread may be joined once only

  // recvmmsg(2) slots, I/O thread only: a drained socket costs one system
  // call per kReceiveSlots datagrams, not one (plus the EAGAIN) per datagram.
  // rudp reads the raw datagrams and checks them itself.
  static constexpr std::size_t kReceiveSlots = 16;
  DatagramBatch received_;
  SourceAddress peerName_;  // the peer as recvmmsg names it (set with connection_)
};

}  // namespace pigeon::transport
