#pragma once

#include "transport/TransportKind.h"
#include "transport/rudp/RudpCounters.h"
#include "transport/rudp/RudpMessage.h"
#include "wire/Bytes.h"
#include "wire/DecodeError.h"
#include "wire/Header.h"

#include <Poco/Net/SocketAddress.h>
#include <Poco/Timespan.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace pigeon::transport {

class BatchedDatagramIo;

// Who is at the other end, as far as the bytes tell.
enum class PeerKind {
  kUnknown,  // nothing received yet
  kPigeon,   // speaks the framed pigeon protocol
  kPlain,    // sends raw bytes: nc, socat, a Python socket script
};

// One thing a receive produced.
struct Incoming {
  enum class Kind {
    kMessage,    // a pigeon frame: `header`, `payload`
    kPlain,      // raw bytes from a plain peer: `payload`
    kMalformed,  // bytes that claimed to be a frame and were not: `error`
    kTimeout,    // nothing arrived in time
    kClosed,     // the peer closed the connection (stream transports)
  };

  Kind kind = Kind::kTimeout;
  wire::Header header;
  wire::Bytes payload;
  wire::DecodeError error = wire::DecodeError::kNone;
  Poco::Net::SocketAddress from;
  std::int64_t arrivalNs = 0;  // wire::steadyNowNs() when it was read
};

// One transport of pigeon messages to one peer: UDP, TCP or rudp.
//
// Thread safety: one thread may receive while another sends; two threads
// must not send at once, nor two receive at once.
class Transport {
 public:
  virtual ~Transport() = default;

  // Sends one framed message; `header.payloadLength` is taken from `payload`.
  // Throws TransportError (kMessageTooLong when `payload` is above
  // maxPayload(), kConnectionRefused when the peer is known to be gone).
  virtual void sendMessage(const wire::Header& header, wire::ByteSpan payload) = 0;

  // Sends raw bytes, unframed, for a plain peer. Same errors.
  virtual void sendPlain(wire::ByteSpan bytes) = 0;

  // Waits up to `timeout` for the next message. Throws TransportError when
  // the network says the peer cannot be reached.
  virtual Incoming receive(Poco::Timespan timeout) = 0;

  // False while a listening UDP transport has not heard from anyone.
  virtual bool hasPeer() const = 0;
  // A listening UDP transport took its peer from the first datagram; this
  // lets the next source that speaks be the peer (a receiver that serves
  // one sender after another). A connection's peer is the connection:
  // nothing changes.
  virtual void forgetPeer() {}
  virtual Poco::Net::SocketAddress peerAddress() const = 0;
  virtual Poco::Net::SocketAddress localAddress() const = 0;
  virtual PeerKind peerKind() const = 0;

  // The largest payload one message may carry.
  virtual std::size_t maxPayload() const = 0;

  virtual TransportKind kind() const = 0;
  std::string name() const { return std::string(transportKindName(kind())); }
  TransportTraits traits() const { return traitsOf(kind()); }

  virtual void close() = 0;

  // The socket's file descriptor, for what only the kernel can tell
  // (SocketStats.h); -1 where there is no single socket.
  virtual int nativeHandle() const { return -1; }

  // What only some transports can do, asked for here rather than by
  // downcasting. Each default is what a transport without the capability
  // does.

  // The batched datagram fast path, or nullptr where there is none.
  virtual BatchedDatagramIo* batchedIo() { return nullptr; }

  // The reliability protocol's own counters, where the transport runs one in
  // user space (rudp); nullopt otherwise (TCP's live in the kernel).
  virtual std::optional<rudp::RudpCounters> reliabilityCounters() const { return std::nullopt; }

  // Waits until every message sent so far is acknowledged by the peer;
  // false on timeout. A transport with no acknowledgements of its own has
  // nothing to wait for.
  virtual bool flush(Poco::Timespan /*timeout*/) { return true; }

  // Called, on a transport thread, for each message the peer acknowledged;
  // never called by a transport without acknowledgements.
  using AckedHandler = std::function<void(const rudp::AckedMessage&)>;
  virtual void setAckedHandler(AckedHandler /*handler*/) {}
};

}  // namespace pigeon::transport
