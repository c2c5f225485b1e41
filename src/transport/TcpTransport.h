#pragma once

#include "transport/Transport.h"
#include "wire/StreamFramer.h"

#include <Poco/Net/StreamSocket.h>

#include <atomic>
#include <memory>
#include <optional>
#include <span>

namespace pigeon::transport {

struct TcpOptions {
  bool noDelay = true;  // TCP_NODELAY: Nagle off, as an interactive tool wants
};

// pigeon messages over one TCP connection. Frames are cut from the byte
// stream by a StreamFramer, so one recv() is never taken as one message.
// A peer whose first bytes do not start like a frame is plain: its bytes are
// handed up as they arrive, chunk by chunk.
class TcpTransport : public Transport {
 public:
  // Connects within `timeout`. Throws TransportError.
  static std::unique_ptr<TcpTransport> connect(const Poco::Net::SocketAddress& peer,
                                               Poco::Timespan timeout, TcpOptions options = {});

  TcpTransport(Poco::Net::StreamSocket connected, TcpOptions options);

  void sendMessage(const wire::Header& header, wire::ByteSpan payload) override;
  void sendPlain(wire::ByteSpan bytes) override;
  Incoming receive(Poco::Timespan timeout) override;

  bool hasPeer() const override { return true; }
  Poco::Net::SocketAddress peerAddress() const override { return peer_; }
  Poco::Net::SocketAddress localAddress() const override { return local_; }
  PeerKind peerKind() const override { return kind_.load(); }
  std::size_t maxPayload() const override { return wire::kMaxStreamPayload; }
  TransportKind kind() const override { return TransportKind::kTcp; }
  void close() override;
  int nativeHandle() const override { return socket_.impl()->sockfd(); }

  // Says no more will be sent (FIN) while still receiving.
  void shutdownSend();

  Poco::Net::StreamSocket& socket() { return socket_; }

 private:
  void sendAll(wire::ByteSpan bytes);
  Incoming receiveOnce(Poco::Timespan timeout);         // may end early with kTimeout
  bool readSome(Poco::Timespan timeout, Incoming& in);  // false: timed out
  // Up to into.size() bytes, 0 when the peer closed, nullopt: timed out.
  std::optional<std::size_t> readInto(Poco::Timespan timeout, std::span<std::uint8_t> into);
  Incoming takeFrame();

  Poco::Net::StreamSocket socket_;
  Poco::Net::SocketAddress peer_;
  Poco::Net::SocketAddress local_;
  std::atomic<PeerKind> kind_{PeerKind::kUnknown};
  wire::StreamFramer framer_;
  wire::Bytes undecided_;  // first bytes, until they show who the peer is
  wire::Bytes sendBuffer_;
  wire::Bytes readBuffer_;
  bool peerClosed_ = false;
  bool streamBroken_ = false;
};

}  // namespace pigeon::transport
