#include "transport/UdpTransport.h"

#include "transport/Endpoint.h"
#include "transport/SocketErrors.h"
#include "wire/Clock.h"
#include "wire/Codec.h"

#include <Poco/Net/NetException.h>
#include <Poco/Timestamp.h>

#include <algorithm>

namespace pigeon::transport {

using Code = TransportError::Code;

void bindDatagramSocket(Poco::Net::DatagramSocket& socket, const Poco::Net::SocketAddress& local) {
  try {
    if (local.family() == Poco::Net::SocketAddress::IPv6 && local.host().isWildcard()) {
      socket.impl()->bind6(local, false, false, /*ipV6Only=*/false);
    } else {
      socket.bind(local, false);
    }
  } catch (const Poco::Exception& e) {
    throw translateSocketError(e, "bind udp " + formatAddress(local));
  }
}

UdpTransport::UdpTransport(Poco::Net::DatagramSocket socket)
    : socket_(std::move(socket)), receiveBuffer_(wire::kMaxDatagramSize + 1) {}

std::unique_ptr<UdpTransport> UdpTransport::listen(const Poco::Net::SocketAddress& local) {
  Poco::Net::DatagramSocket socket(local.family());
  bindDatagramSocket(socket, local);
  return std::unique_ptr<UdpTransport>(new UdpTransport(std::move(socket)));
}

std::unique_ptr<UdpTransport> UdpTransport::connect(
    const Poco::Net::SocketAddress& peer, const std::optional<Poco::Net::SocketAddress>& local) {
  Poco::Net::DatagramSocket socket(peer.family());
  if (local) bindDatagramSocket(socket, *local);
  try {
    socket.connect(peer);
  } catch (const Poco::Exception& e) {
    throw translateSocketError(e, "udp to " + formatAddress(peer));
  }
  auto transport = std::unique_ptr<UdpTransport>(new UdpTransport(std::move(socket)));
  transport->peer_ = peer;
  return transport;
}

bool UdpTransport::hasPeer() const {
  std::lock_guard lock(peerMutex_);
  return peer_.has_value();
}

Poco::Net::SocketAddress UdpTransport::peerAddress() const {
  std::lock_guard lock(peerMutex_);
  return peer_.value_or(Poco::Net::SocketAddress());
}

Poco::Net::SocketAddress UdpTransport::localAddress() const { return socket_.address(); }

void UdpTransport::adoptPeer(const Poco::Net::SocketAddress& from) {
  std::lock_guard lock(peerMutex_);
  if (peer_) return;
  peer_ = from;
  // Connecting filters out other sources and lets ICMP errors reach us.
  try {
    socket_.connect(from);
  } catch (const Poco::Exception&) {
    // Still usable unconnected: replies go out with sendTo.
  }
}

void UdpTransport::sendDatagram(wire::ByteSpan datagram) {
  const auto peer = [&] {
    std::lock_guard lock(peerMutex_);
    return peer_;
  }();
  if (!peer) throw TransportError(Code::kOther, "udp: no peer yet to send to");
  try {
    const int n = socket_.sendBytes(datagram.data(), static_cast<int>(datagram.size()));
    if (n != static_cast<int>(datagram.size())) {
      throw TransportError(Code::kOther, "udp: datagram sent in part");
    }
  } catch (const Poco::Exception& e) {
    TransportError error = translateSocketError(e, "udp to " + formatAddress(*peer));
    if (error.code() == Code::kConnectionRefused) {
      throw TransportError(Code::kConnectionRefused,
                           "udp peer " + formatAddress(*peer) +
                               " is not listening (ICMP port unreachable)");
    }
    throw error;
  }
}

void UdpTransport::sendMessage(const wire::Header& header, wire::ByteSpan payload) {
  if (payload.size() > maxPayload()) {
    throw TransportError(Code::kMessageTooLong,
                         "message too long for a datagram (" + std::to_string(payload.size()) +
                             " bytes, at most " + std::to_string(maxPayload()) + ")");
  }
  sendBuffer_.clear();
  wire::appendFrame(header, payload, sendBuffer_);
  sendDatagram(sendBuffer_);
}

void UdpTransport::sendPlain(wire::ByteSpan bytes) {
  if (bytes.size() > wire::kMaxDatagramSize) {
    throw TransportError(Code::kMessageTooLong,
                         "message too long for a datagram (" + std::to_string(bytes.size()) +
                             " bytes, at most " + std::to_string(wire::kMaxDatagramSize) + ")");
  }
  sendDatagram(bytes);
}

Incoming UdpTransport::receive(Poco::Timespan timeout) {
  // A stranger's datagram is dropped: wait on for the peer until the deadline,
  // so kTimeout means nothing came.
  const Poco::Timestamp start;
  for (;;) {
    // Never a negative wait: Poco's poll() takes that as "forever".
    const Poco::Timespan left = std::max<Poco::Timespan::TimeDiff>(
        0, timeout.totalMicroseconds() - start.elapsed());
    Incoming in = receiveOnce(left);
    if (in.kind != Incoming::Kind::kTimeout || start.isElapsed(timeout.totalMicroseconds())) {
      return in;
    }
  }
}

Incoming UdpTransport::receiveOnce(Poco::Timespan timeout) {
  Incoming in;
  try {
    if (!socket_.poll(timeout, Poco::Net::Socket::SELECT_READ | Poco::Net::Socket::SELECT_ERROR)) {
      return in;  // kTimeout
    }
    const int n = socket_.receiveFrom(receiveBuffer_.data(),
                                      static_cast<int>(receiveBuffer_.size()), in.from);
    in.arrivalNs = wire::steadyNowNs();
    if (n < 0) return in;
    const auto datagram = wire::ByteSpan(receiveBuffer_).first(static_cast<std::size_t>(n));

    {
      std::lock_guard lock(peerMutex_);
      if (peer_ && !(in.from == *peer_)) return in;  // a stranger: ignored, like a timeout
    }
    adoptPeer(in.from);

    if (datagram.size() >= 3 && wire::startsLikeFrame(datagram)) {
      const wire::DecodeResult decoded = wire::decodeDatagram(datagram);
      if (!decoded.ok()) {
        in.kind = Incoming::Kind::kMalformed;
        in.error = decoded.error;
        return in;
      }
      in.kind = Incoming::Kind::kMessage;
      in.header = decoded.frame.header;
      in.payload.assign(decoded.frame.payload.begin(), decoded.frame.payload.end());
      PeerKind unknown = PeerKind::kUnknown;
      kind_.compare_exchange_strong(unknown, PeerKind::kPigeon);
    } else {
      in.kind = Incoming::Kind::kPlain;
      in.payload.assign(datagram.begin(), datagram.end());
      PeerKind unknown = PeerKind::kUnknown;
      kind_.compare_exchange_strong(unknown, PeerKind::kPlain);
    }
    return in;
  } catch (const Poco::Exception& e) {
    const std::string peer = formatAddress(peerAddress());
    TransportError error = translateSocketError(e, "udp from " + peer);
    if (error.code() == Code::kConnectionRefused) {
      throw TransportError(Code::kConnectionRefused,
                           "udp peer " + peer + " is not listening (ICMP port unreachable)");
    }
    throw error;
  }
}

void UdpTransport::close() {
  try {
    socket_.close();
  } catch (const Poco::Exception&) {
    // closing twice is harmless
  }
}

}  // namespace pigeon::transport
