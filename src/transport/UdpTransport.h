#pragma once

#include "transport/Transport.h"

#include <Poco/Net/DatagramSocket.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>

namespace pigeon::transport {

// pigeon messages over UDP, one message per datagram (sendto/recvfrom on a
// Poco DatagramSocket). Each datagram is judged on its own: one that starts
// like a pigeon frame is decoded (and reported kMalformed if it is not one);
// anything else is plain text from a plain peer.
//
// A connecting transport connect()s its socket, so an ICMP port unreachable
// from the peer comes back as kConnectionRefused. A listening transport takes
// the first source it hears from as its peer and then connects to it too.
class UdpTransport : public Transport {
 public:
  // Bound to `local` (port 0: the kernel picks); the peer is whoever speaks
  // first. An IPv6 wildcard ("::") also accepts IPv4 peers.
  static std::unique_ptr<UdpTransport> listen(const Poco::Net::SocketAddress& local);

  // Connected to `peer`, from `local` if given.
  static std::unique_ptr<UdpTransport> connect(
      const Poco::Net::SocketAddress& peer,
      const std::optional<Poco::Net::SocketAddress>& local = std::nullopt);

  void sendMessage(const wire::Header& header, wire::ByteSpan payload) override;
  void sendPlain(wire::ByteSpan bytes) override;
  Incoming receive(Poco::Timespan timeout) override;

  bool hasPeer() const override;
  Poco::Net::SocketAddress peerAddress() const override;
  Poco::Net::SocketAddress localAddress() const override;
  PeerKind peerKind() const override { return kind_.load(); }
  std::size_t maxPayload() const override { return wire::kMaxDatagramPayload; }
  std::string name() const override { return "udp"; }
  void close() override;
  int nativeHandle() const override { return socket_.impl()->sockfd(); }

 private:
  explicit UdpTransport(Poco::Net::DatagramSocket socket);
  Incoming receiveOnce(Poco::Timespan timeout);  // may end early with kTimeout
  void sendDatagram(wire::ByteSpan datagram);
  void adoptPeer(const Poco::Net::SocketAddress& from);

  Poco::Net::DatagramSocket socket_;
  mutable std::mutex peerMutex_;
  std::optional<Poco::Net::SocketAddress> peer_;
  std::atomic<PeerKind> kind_{PeerKind::kUnknown};
  wire::Bytes sendBuffer_;     // used by the sending thread only
  wire::Bytes receiveBuffer_;  // used by the receiving thread only
};

// Binds `socket` to `local`; an IPv6 wildcard is made dual-stack. Throws
// TransportError.
void bindDatagramSocket(Poco::Net::DatagramSocket& socket, const Poco::Net::SocketAddress& local);

}  // namespace pigeon::transport
