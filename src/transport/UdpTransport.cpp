#include "transport/UdpTransport.h"

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

namespace {

// The error of a system call on the socket, as translateSocketError reads it.
TransportError systemError(int error, const std::string& what) {
  return translateSocketError(Poco::IOException(std::strerror(error), error), what);
}

// True when `name` (from recvmmsg) is `peer`: family, port and address.
bool sameSource(const sockaddr_storage& name, const sockaddr_storage& peer) {
  if (name.ss_family != peer.ss_family) return false;
  if (name.ss_family == AF_INET) {
    const auto& a = reinterpret_cast<const sockaddr_in&>(name);
    const auto& b = reinterpret_cast<const sockaddr_in&>(peer);
    return a.sin_port == b.sin_port && a.sin_addr.s_addr == b.sin_addr.s_addr;
  }
  if (name.ss_family == AF_INET6) {
    const auto& a = reinterpret_cast<const sockaddr_in6&>(name);
    const auto& b = reinterpret_cast<const sockaddr_in6&>(peer);
    return a.sin6_port == b.sin6_port && a.sin6_scope_id == b.sin6_scope_id &&
           std::memcmp(&a.sin6_addr, &b.sin6_addr, sizeof a.sin6_addr) == 0;
  }
  return false;
}

sockaddr_storage toStorage(const Poco::Net::SocketAddress& address) {
  sockaddr_storage out{};
  std::memcpy(&out, address.addr(), std::min<std::size_t>(address.length(), sizeof out));
  return out;
}

}  // namespace

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
  transport->peerName_ = toStorage(peer);
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
  peerName_ = toStorage(from);
  // Connecting filters out other sources and lets ICMP errors reach us.
  try {
    socket_.connect(from);
  } catch (const Poco::Exception&) {
    // Still usable unconnected: replies go out with sendTo.
  }
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
  const int error = errno;
  const std::string peer = formatAddress(peerAddress());
  if (error == ECONNREFUSED) {
    throw TransportError(Code::kConnectionRefused,
                         "udp peer " + peer + " is not listening (ICMP port unreachable)");
  }
  throw systemError(error, "udp to " + peer);
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
      throw systemError(errno, "udp: set receive timeout");
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
    const std::string peer = formatAddress(peerAddress());
    if (refusedPending_ && (error == EAGAIN || error == EWOULDBLOCK || error == ECONNREFUSED)) {
      refusedPending_ = false;
      throw TransportError(Code::kConnectionRefused,
                           "udp peer " + peer + " is not listening (ICMP port unreachable)");
    }
    if (error == EAGAIN || error == EWOULDBLOCK || error == EINTR) return in;  // kTimeout
    throw systemError(error, "udp from " + peer);
  }
  in.arrivalNs = wire::steadyNowNs();
  const auto datagram = wire::ByteSpan(receiveBuffer_).first(static_cast<std::size_t>(n));

  bool known = false;
  {
    std::lock_guard lock(peerMutex_);
    if (peer_) {
      if (!sameSource(name, peerName_)) return in;  // a stranger: ignored, like a timeout
      in.from = *peer_;
      known = true;
    }
  }
  if (!known) {
    in.from = Poco::Net::SocketAddress(reinterpret_cast<const sockaddr*>(&name), nameLength);
    adoptPeer(in.from);
  }

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
    notePeerKind(PeerKind::kPigeon);
  } else {
    in.kind = Incoming::Kind::kPlain;
    in.payload.assign(datagram.begin(), datagram.end());
    notePeerKind(PeerKind::kPlain);
  }
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
  batch.prepareSend();
  if (segmentation_ && sendSegmented(batch, *peer)) {
    batch.clear();
    return;
  }
  const int fd = nativeHandle();
  std::size_t sent = 0;
  while (sent < batch.pending()) {
    const int n =
        ::sendmmsg(fd, &batch.headers_[sent], static_cast<unsigned>(batch.pending() - sent), 0);
    if (n < 0) {
      const int error = errno;
      if (error == EINTR) continue;
      if (error == ECONNREFUSED) {
        throw TransportError(
            Code::kConnectionRefused,
            "udp peer " + formatAddress(*peer) + " is not listening (ICMP port unreachable)");
      }
      throw systemError(error, "udp to " + formatAddress(*peer));
    }
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

  msghdr m{};
  m.msg_iov = batch.iov_.data();
  m.msg_iovlen = count;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(std::uint16_t))] = {};
  m.msg_control = control;
  m.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_UDP;
  c->cmsg_type = UDP_SEGMENT;
  c->cmsg_len = CMSG_LEN(sizeof(std::uint16_t));
  const auto segment = static_cast<std::uint16_t>(size);
  std::memcpy(CMSG_DATA(c), &segment, sizeof segment);

  ssize_t n = 0;
  do {
    n = ::sendmsg(nativeHandle(), &m, 0);
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(size * count)) return true;
  if (n >= 0) throw TransportError(Code::kOther, "udp: segmented batch sent in part");
  const int error = errno;
  if (error == EINVAL || error == EIO || error == ENOPROTOOPT || error == EOPNOTSUPP) {
    segmentation_ = false;  // this kernel or path cannot: sendmmsg from now on
    return false;
  }
  if (error == ECONNREFUSED) {
    throw TransportError(Code::kConnectionRefused, "udp peer " + formatAddress(peer) +
                                                       " is not listening (ICMP port unreachable)");
  }
  throw systemError(error, "udp to " + formatAddress(peer));
}

std::size_t UdpTransport::receiveBatch(DatagramBatch& batch, Poco::Timespan timeout) {
  batch.prepareReceive();
  const int fd = nativeHandle();
  const auto fail = [&](int error) -> TransportError {
    const std::string peer = formatAddress(peerAddress());
    if (error == ECONNREFUSED) {
      return TransportError(Code::kConnectionRefused,
                            "udp peer " + peer + " is not listening (ICMP port unreachable)");
    }
    return systemError(error, "udp from " + peer);
  };
  // Reads what is queued, without waiting. The kernel reports an ICMP error
  // ahead of the datagrams already queued: as in receive(), those come
  // first, and the error once none is left.
  const auto readQueued = [&] {
    int got = ::recvmmsg(fd, batch.headers_.data(), static_cast<unsigned>(batch.capacity()),
                         MSG_DONTWAIT, nullptr);
    if (got < 0 && errno == ECONNREFUSED) {
      refusedPending_ = true;
      got = ::recvmmsg(fd, batch.headers_.data(), static_cast<unsigned>(batch.capacity()),
                       MSG_DONTWAIT, nullptr);
    }
    if (got < 0 && refusedPending_ && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      refusedPending_ = false;
      throw fail(ECONNREFUSED);
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
    if (ready < 0 && errno != EINTR) throw fail(errno);
    if (ready <= 0) return 0;
    n = readQueued();
  }
  if (n < 0) {
    const int error = errno;
    if (error == EAGAIN || error == EWOULDBLOCK || error == EINTR) return 0;
    throw fail(error);
  }
  batch.arrivalNs_ = wire::steadyNowNs();
  batch.datagrams_ = static_cast<std::size_t>(n);
  batch.dirty_ = batch.datagrams_;

  std::optional<sockaddr_storage> peer;
  {
    std::lock_guard lock(peerMutex_);
    if (peer_) peer = peerName_;
  }
  for (std::size_t i = 0; i < batch.datagrams_; ++i) {
    const mmsghdr& h = batch.headers_[i];
    if (!peer) {
      adoptPeer(Poco::Net::SocketAddress(reinterpret_cast<const sockaddr*>(&batch.names_[i]),
                                         h.msg_hdr.msg_namelen));
      std::lock_guard lock(peerMutex_);
      peer = peerName_;
    }
    if (!sameSource(batch.names_[i], *peer)) {
      ++batch.strangers_;
      continue;
    }
    if ((h.msg_hdr.msg_flags & MSG_TRUNC) != 0) {
      ++batch.malformed_;
      batch.lastError_ = wire::DecodeError::kLengthTooLarge;
      continue;
    }
    const wire::ByteSpan datagram(batch.slot(i), h.msg_len);
    DatagramBatch::Received& out = batch.received_[batch.receivedCount_];
    if (datagram.size() >= 3 && wire::startsLikeFrame(datagram)) {
      const wire::DecodeResult decoded = wire::decodeDatagram(datagram);
      if (!decoded.ok()) {
        ++batch.malformed_;
        if (decoded.error == wire::DecodeError::kBadChecksum) ++batch.corrupted_;
        batch.lastError_ = decoded.error;
        continue;
      }
      out.kind = Incoming::Kind::kMessage;
      out.header = decoded.frame.header;
      out.payload = decoded.frame.payload;
      notePeerKind(PeerKind::kPigeon);
    } else {
      out.kind = Incoming::Kind::kPlain;
      out.header = wire::Header{};
      out.payload = datagram;
      notePeerKind(PeerKind::kPlain);
    }
    ++batch.receivedCount_;
  }
  return batch.datagrams_;
}

void UdpTransport::close() {
  try {
    socket_.close();
  } catch (const Poco::Exception&) {
    // closing twice is harmless
  }
}

}  // namespace pigeon::transport
