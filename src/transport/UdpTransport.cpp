#include "transport/UdpTransport.h"

#include "transport/DatagramKinds.h"
#include "transport/Endpoint.h"
#include "transport/ReceiveUntil.h"
#include "transport/SocketErrors.h"
#include "wire/Clock.h"
#include "wire/Codec.h"

#include <Poco/Net/NetException.h>
#include <Poco/Timestamp.h>

#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

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
  const Poco::UInt16 port = socket.address().port();
  auto transport = std::unique_ptr<UdpTransport>(new UdpTransport(std::move(socket)));
  transport->listenedOn_ = Poco::Net::SocketAddress(local.host(), port);
  return transport;
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
  transport->peerName_ = SourceAddress(peer);
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
  peerName_ = SourceAddress(from);
  // Connecting filters out other sources and lets ICMP errors reach us.
  try {
    socket_.connect(from);
  } catch (const Poco::Exception&) {
    // Still usable unconnected: replies go out with sendTo.
  }
}

void UdpTransport::forgetPeer() {
  std::lock_guard lock(peerMutex_);
  if (!peer_) return;
  peer_.reset();
  peerName_ = SourceAddress();
  kind_ = PeerKind::kUnknown;
  // Connecting to AF_UNSPEC dissolves the association: every source's
  // datagrams reach the socket again.
  sockaddr unspecified{};
  unspecified.sa_family = AF_UNSPEC;
  ::connect(nativeHandle(), &unspecified, sizeof unspecified);
  // A port the kernel chose (a bind to port 0) is not locked to the socket:
  // dissolving the association gave it up. Take the same one again (the
  // bind names it now, so a later forgetPeer keeps it).
  if (listenedOn_ && socket_.address().port() != listenedOn_->port()) {
    bindDatagramSocket(socket_, *listenedOn_);
  }
  // An ICMP error the old peer's going left pending is its, not the next's:
  // reading SO_ERROR clears it.
  int error = 0;
  socklen_t length = sizeof error;
  ::getsockopt(nativeHandle(), SOL_SOCKET, SO_ERROR, &error, &length);
  refusedPending_ = false;
}

void UdpTransport::sendDatagram(wire::ByteSpan datagram) {
  {
    std::lock_guard lock(peerMutex_);
    if (!peer_) throw TransportError(Code::kOther, "udp: no peer yet to send to");
  }
  // The socket is connected to the peer: a plain send(2).
  ssize_t n = 0;
  do {
    n = ::send(nativeHandle(), datagram.data(), datagram.size(), 0);
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(datagram.size())) return;
  if (n >= 0) throw TransportError(Code::kOther, "udp: datagram sent in part");
  throw datagramError(errno, peerAddress(), /*sending=*/true);
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
  // A stranger's datagram is dropped: wait on for the peer.
  return receiveUntil(timeout, [this](Poco::Timespan left) { return receiveOnce(left); });
}

Incoming UdpTransport::receiveOnce(Poco::Timespan timeout) {
  Incoming in;
  const int fd = nativeHandle();
  // One blocking recvfrom(2) that waits up to SO_RCVTIMEO (set only when the
  // wait changes), not a poll then a read: one system call per datagram.
  int flags = 0;
  const auto us = std::max<Poco::Timespan::TimeDiff>(0, timeout.totalMicroseconds());
  if (us == 0 || refusedPending_) {
    flags = MSG_DONTWAIT;  // SO_RCVTIMEO 0 would mean "forever"
  } else if (us != receiveTimeoutUs_) {
    const timeval tv{static_cast<time_t>(us / 1'000'000), static_cast<suseconds_t>(us % 1'000'000)};
    if (::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0) {
      throw datagramError(errno, peerAddress(), /*sending=*/false);
    }
    receiveTimeoutUs_ = us;
  }
  sockaddr_storage name{};
  socklen_t nameLength = sizeof name;
  const auto read = [&](int readFlags) {
    nameLength = sizeof name;
    return ::recvfrom(fd, receiveBuffer_.data(), receiveBuffer_.size(), readFlags,
                      reinterpret_cast<sockaddr*>(&name), &nameLength);
  };
  ssize_t n = read(flags);
  if (n < 0 && errno == ECONNREFUSED) {
    // The kernel reports an ICMP error ahead of the datagrams already queued:
    // those are delivered first, and the error once none is left.
    refusedPending_ = true;
    n = read(MSG_DONTWAIT);
  }
  if (n < 0) {
    const int error = errno;
    if (refusedPending_ && (error == EAGAIN || error == EWOULDBLOCK || error == ECONNREFUSED)) {
      refusedPending_ = false;
      throw datagramError(ECONNREFUSED, peerAddress(), /*sending=*/false);
    }
    if (error == EAGAIN || error == EWOULDBLOCK || error == EINTR) return in;  // kTimeout
    throw datagramError(error, peerAddress(), /*sending=*/false);
  }
  in.arrivalNs = wire::steadyNowNs();
  const auto datagram = wire::ByteSpan(receiveBuffer_).first(static_cast<std::size_t>(n));

  bool known = false;
  {
    std::lock_guard lock(peerMutex_);
    if (peer_) {
      if (!(SourceAddress(reinterpret_cast<const sockaddr*>(&name), nameLength) == peerName_)) {
        return in;  // a stranger: ignored, like a timeout
      }
      in.from = *peer_;
      known = true;
    }
  }
  if (!known) {
    in.from = Poco::Net::SocketAddress(reinterpret_cast<const sockaddr*>(&name), nameLength);
    adoptPeer(in.from);
  }

  const ClassifiedDatagram classified = classifyDatagram(datagram);
  in.kind = classified.kind;
  in.error = classified.error;
  if (classified.kind == Incoming::Kind::kMalformed) return in;
  in.header = classified.header;
  in.payload.assign(classified.payload.begin(), classified.payload.end());
  notePeerKind(classified.kind == Incoming::Kind::kMessage ? PeerKind::kPigeon : PeerKind::kPlain);
  return in;
}

void UdpTransport::notePeerKind(PeerKind kind) {
  if (kind_.load(std::memory_order_relaxed) != PeerKind::kUnknown) return;
  PeerKind unknown = PeerKind::kUnknown;
  kind_.compare_exchange_strong(unknown, kind);
}

void UdpTransport::sendBatch(DatagramBatch& batch) {
  const auto peer = [&] {
    std::lock_guard lock(peerMutex_);
    return peer_;
  }();
  if (!peer) throw TransportError(Code::kOther, "udp: no peer yet to send to");
  if (segmentation_ && sendSegmented(batch, *peer)) {
    batch.clear();
    return;
  }
  const int fd = nativeHandle();
  std::size_t sent = 0;
  while (sent < batch.pending()) {
    const int n = batch.sendPending(fd, sent);
    if (n < 0) throw datagramError(errno, *peer, /*sending=*/true);
    sent += static_cast<std::size_t>(n);
  }
  batch.clear();
}

bool UdpTransport::sendSegmented(DatagramBatch& batch, const Poco::Net::SocketAddress& peer) {
  // The kernel takes up to 64 segments (UDP_MAX_SEGMENTS in older kernels)
  // and one IP packet's worth of bytes in all.
  constexpr std::size_t kMaxSegments = 64;
  constexpr std::size_t kMaxBytes = 65'000;
  const std::size_t size = batch.uniformBytes();
  const std::size_t count = batch.pending();
  if (count < 2 || size == 0 || count > kMaxSegments || size * count > kMaxBytes) return false;

  const long n = batch.sendSegmented(nativeHandle());
  if (n == static_cast<long>(size * count)) return true;
  if (n >= 0) throw TransportError(Code::kOther, "udp: segmented batch sent in part");
  const int error = errno;
  if (error == EINVAL || error == EIO || error == ENOPROTOOPT || error == EOPNOTSUPP) {
    segmentation_ = false;  // this kernel or path cannot: sendmmsg from now on
    return false;
  }
  throw datagramError(error, peer, /*sending=*/true);
}

std::size_t UdpTransport::receiveBatch(DatagramBatch& batch, Poco::Timespan timeout) {
  const int fd = nativeHandle();
  // Reads what is queued, without waiting. The kernel reports an ICMP error
  // ahead of the datagrams already queued: as in receive(), those come
  // first, and the error once none is left.
  const auto readQueued = [&] {
    int got = batch.receiveQueued(fd);
    if (got < 0 && errno == ECONNREFUSED) {
      refusedPending_ = true;
      got = batch.receiveQueued(fd);
    }
    if (got < 0 && refusedPending_ && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      refusedPending_ = false;
      throw datagramError(ECONNREFUSED, peerAddress(), /*sending=*/false);
    }
    return got;
  };
  // Wait only when nothing is queued, so a busy socket costs one system
  // call per batch.
  int n = readQueued();
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
    const auto us = std::max<Poco::Timespan::TimeDiff>(0, timeout.totalMicroseconds());
    if (us == 0) return 0;  // a look, no wait
    const timespec wait{static_cast<time_t>(us / 1'000'000),
                        static_cast<long>(us % 1'000'000) * 1000};
    pollfd p{fd, POLLIN, 0};
    const int ready = ::ppoll(&p, 1, &wait, nullptr);
    if (ready < 0 && errno != EINTR) throw datagramError(errno, peerAddress(), false);
    if (ready <= 0) return 0;
    n = readQueued();
  }
  if (n < 0) {
    const int error = errno;
    if (error == EAGAIN || error == EWOULDBLOCK || error == EINTR) return 0;
    throw datagramError(error, peerAddress(), /*sending=*/false);
  }

  std::optional<SourceAddress> peer;
  {
    std::lock_guard lock(peerMutex_);
    if (peer_) peer = peerName_;
  }
  for (std::size_t i = 0; i < batch.datagrams(); ++i) {
    if (!peer) {
      adoptPeer(batch.source(i).toSocketAddress());
      std::lock_guard lock(peerMutex_);
      peer = peerName_;
    }
    if (!batch.cameFrom(i, *peer)) {
      batch.countStranger();
      continue;
    }
    if (batch.truncated(i)) {
      batch.countMalformed();
      continue;
    }
    const ClassifiedDatagram classified = classifyDatagram(batch.datagram(i));
    if (classified.kind == Incoming::Kind::kMalformed) {
      batch.countMalformed();
      if (classified.error == wire::DecodeError::kBadChecksum) batch.countCorrupted();
      continue;
    }
    notePeerKind(classified.kind == Incoming::Kind::kMessage ? PeerKind::kPigeon
                                                             : PeerKind::kPlain);
    batch.keep({classified.kind, classified.header, classified.payload, batch.arrivalNs(i)});
  }
  return batch.datagrams();
}

void UdpTransport::close() {
  try {
    socket_.close();
  } catch (const Poco::Exception&) {
    // closing twice is harmless
  }
}

}  // namespace pigeon::transport
