#pragma once

#include "transport/Transport.h"
#include "transport/TransportError.h"
#include "transport/rudp/RudpIoThread.h"
#include "transport/rudp/RudpOptions.h"

#include <Poco/Net/SocketAddress.h>
#include <Poco/Timespan.h>

#include <memory>
#include <optional>

namespace pigeon::transport {

// pigeon messages over rudp, the reliable protocol pigeon builds on UDP
// (docs/rudp.md): one connection to one peer, the blocking face of it.
// Messages arrive exactly once, ordered or not as the options say, with the
// header fields the sender gave (type, stream id, sequence, send time).
//
// A client's transport has its socket and I/O thread to itself (connect());
// a listener's connections share one socket and thread (rudp::RudpAcceptor
// hands them out). Either way the protocol runs on the I/O thread
// (rudp::RudpIoThread); this class waits for what it delivers and sends on
// the caller's thread. As Transport says, one thread may send while another
// receives; flush(), close(), counters() and the queries are safe from any
// thread. The acked handler runs on the I/O thread with no lock held: keep
// it short and do not call close() from it.
class RudpTransport : public Transport {
 public:
  using Options = rudp::RudpOptions;

  // Handshakes with `peer` within `timeout`. Throws TransportError:
  // kConnectionRefused (nothing listens there), kTimedOut (no answer).
  static std::unique_ptr<RudpTransport> connect(
      const Poco::Net::SocketAddress& peer, Poco::Timespan timeout, const Options& options = {},
      const std::optional<Poco::Net::SocketAddress>& local = std::nullopt);

  // One established connection of `io` (RudpAcceptor, connect()). `ownsIo`:
  // no one else uses the socket, so close() stops its thread.
  RudpTransport(std::shared_ptr<rudp::RudpIoThread> io, rudp::RudpIoThread::Accepted accepted,
                const Options& options, bool ownsIo);
  // Stops at once: sends Close (unconfirmed) and lets the connection go.
  ~RudpTransport() override;
  RudpTransport(const RudpTransport&) = delete;
  RudpTransport& operator=(const RudpTransport&) = delete;

  // Blocks while the window is full, up to options.sendTimeoutMs. Throws
  // TransportError: kMessageTooLong, kTimedOut (window stayed full, or the
  // peer fell silent), kPeerClosed (the peer closed or its port is gone),
  // kOther (closed here). A header.sendTimeNs of 0 is replaced by the time
  // of the first transmission.
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
  // that up to `timeout` (0: does not wait), then lets the connection go.
  // Idempotent.
  void close(Poco::Timespan timeout);
  void close() override;  // close(options.closeTimeoutMs)

  void setAckedHandler(AckedHandler handler) override;
  rudp::RudpCounters counters() const;
  std::optional<rudp::RudpCounters> reliabilityCounters() const override { return counters(); }
  // The modes in use (after the handshake, the ones both ends agreed on).
  rudp::ArqScheme arq() const { return params_.arq; }
  rudp::DeliveryMode delivery() const { return params_.delivery; }

  bool hasPeer() const override { return true; }
  Poco::Net::SocketAddress peerAddress() const override { return peer_; }
  Poco::Net::SocketAddress localAddress() const override { return io_->localAddress(); }
  PeerKind peerKind() const override { return PeerKind::kPigeon; }
  std::size_t maxPayload() const override { return rudp::kMaxUserPayload; }
  TransportKind kind() const override { return TransportKind::kRudp; }

 private:
  // io mutex held: the connection, nullptr once closed here.
  rudp::RudpConnection* connectionLocked() const;
  void throwIfBrokenLocked() const;
  rudp::RudpCounters countersLocked() const;

  Options options_;
  std::shared_ptr<rudp::RudpIoThread> io_;
  rudp::RudpIoThread::Handle handle_;
  std::shared_ptr<rudp::RudpIoThread::Waiters> waiters_;
  Poco::Net::SocketAddress peer_;
  rudp::ConnectionParams params_;  // what the handshake settled
  bool ownsIo_;
  bool closing_ = false;                     // io mutex: close() began
  bool closed_ = false;                      // io mutex: the connection is let go
  std::optional<rudp::RudpCounters> final_;  // io mutex: the counters when it was
};

}  // namespace pigeon::transport
