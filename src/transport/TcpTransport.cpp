#include "transport/TcpTransport.h"

#include "transport/Endpoint.h"
#include "transport/ReceiveUntil.h"
#include "transport/SocketErrors.h"
#include "wire/Clock.h"
#include "wire/Codec.h"

#include <Poco/Net/NetException.h>
#include <Poco/Timestamp.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <optional>
#include <span>

#include <sys/socket.h>
#include <sys/uio.h>

namespace pigeon::transport {

using Code = TransportError::Code;

namespace {
constexpr std::size_t kReadChunk = 64 * 1024;
// Below this a payload is copied behind its header and sent in one piece.
constexpr std::size_t kGatherFromBytes = 1024;
}  // namespace

std::unique_ptr<TcpTransport> TcpTransport::connect(const Poco::Net::SocketAddress& peer,
                                                    Poco::Timespan timeout, TcpOptions options) {
  Poco::Net::StreamSocket socket(peer.family());
  try {
    socket.connect(peer, timeout);
  } catch (const Poco::Exception& e) {
    throw translateSocketError(e, "tcp connect to " + formatAddress(peer));
  }
  return std::make_unique<TcpTransport>(std::move(socket), options);
}

TcpTransport::TcpTransport(Poco::Net::StreamSocket connected, TcpOptions options)
    : socket_(std::move(connected)) {
  socket_.setNoDelay(options.noDelay);
  peer_ = socket_.peerAddress();
  local_ = socket_.address();
}

void TcpTransport::sendAll(wire::ByteSpan bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    int n = 0;
    try {
      // MSG_NOSIGNAL: a vanished peer is an error to report, not a SIGPIPE.
      n = socket_.sendBytes(bytes.data() + sent, static_cast<int>(bytes.size() - sent),
                            MSG_NOSIGNAL);
    } catch (const Poco::Exception& e) {
      throw translateSocketError(e, "tcp to " + formatAddress(peer_));
    }
    if (n <= 0)
      throw TransportError(Code::kPeerClosed, "tcp to " + formatAddress(peer_) + ": peer closed");
    sent += static_cast<std::size_t>(n);
  }
}

void TcpTransport::sendMessage(const wire::Header& header, wire::ByteSpan payload) {
  if (payload.size() > maxPayload()) {
    throw TransportError(Code::kMessageTooLong,
                         "message too long for a frame (" + std::to_string(payload.size()) +
                             " bytes, at most " + std::to_string(maxPayload()) + ")");
  }
  if (header.hasCrc() || payload.size() < kGatherFromBytes) {
    sendBuffer_.clear();
    wire::appendFrame(header, payload, sendBuffer_);
    sendAll(sendBuffer_);
    return;
  }
  // A large payload goes from where it is, beside its header, in one
  // sendmsg, instead of being copied behind the header first.
  std::array<std::uint8_t, wire::kHeaderSize> head{};
  wire::encodeHeaderInto(header, payload.size(), head);
  std::array<iovec, 2> pieces{iovec{head.data(), head.size()},
                              iovec{const_cast<std::uint8_t*>(payload.data()), payload.size()}};
  msghdr message{};
  message.msg_iov = pieces.data();
  message.msg_iovlen = pieces.size();
  ssize_t n = 0;
  do {
    n = ::sendmsg(socket_.impl()->sockfd(), &message, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  // What the kernel did not take (a send timeout, an error) goes the usual
  // way, which waits and says what went wrong.
  const auto sent = static_cast<std::size_t>(std::max<ssize_t>(n, 0));
  if (sent < head.size()) {
    sendAll(wire::ByteSpan(head).subspan(sent));
    sendAll(payload);
  } else {
    sendAll(payload.subspan(sent - head.size()));
  }
}

void TcpTransport::sendPlain(wire::ByteSpan bytes) { sendAll(bytes); }

std::optional<std::size_t> TcpTransport::readInto(Poco::Timespan timeout,
                                                  std::span<std::uint8_t> into) {
  try {
    if (!socket_.poll(timeout, Poco::Net::Socket::SELECT_READ | Poco::Net::Socket::SELECT_ERROR)) {
      return std::nullopt;
    }
    const int n = socket_.receiveBytes(into.data(), static_cast<int>(into.size()));
    if (n <= 0) {
      peerClosed_ = true;
      return 0;
    }
    return static_cast<std::size_t>(n);
  } catch (const Poco::Net::ConnectionResetException&) {
    peerClosed_ = true;
    return 0;
  } catch (const Poco::Exception& e) {
    const TransportError error = translateSocketError(e, "tcp from " + formatAddress(peer_));
    if (error.code() == Code::kPeerClosed) {
      peerClosed_ = true;
      return 0;
    }
    throw error;
  }
}

bool TcpTransport::readSome(Poco::Timespan timeout, Incoming& in) {
  // Made at the first read, not with the connection: a server that holds
  // a thousand connections and reads their sockets itself (the echo's
  // event loop) keeps no 64 KiB each it never uses.
  if (readBuffer_.empty()) readBuffer_.resize(kReadChunk);
  const auto n = readInto(timeout, readBuffer_);
  if (!n) return false;
  in.arrivalNs = wire::steadyNowNs();
  in.payload.assign(readBuffer_.begin(), readBuffer_.begin() + static_cast<std::ptrdiff_t>(*n));
  return true;
}

Incoming TcpTransport::takeFrame() {
  Incoming in;
  in.from = peer_;
  const auto r = framer_.next();
  switch (r.status) {
    case wire::StreamFramer::Status::kFrame:
      in.kind = Incoming::Kind::kMessage;
      in.header = r.frame.header;
      in.payload.assign(r.frame.payload.begin(), r.frame.payload.end());
      break;
    case wire::StreamFramer::Status::kError:
      // The stream cannot be resynchronised: report once, then close.
      in.kind = Incoming::Kind::kMalformed;
      in.error = r.error;
      streamBroken_ = true;
      break;
    case wire::StreamFramer::Status::kNeedMore:
      in.kind = Incoming::Kind::kTimeout;
      break;
  }
  return in;
}

Incoming TcpTransport::receive(Poco::Timespan timeout) {
  // One read may bring only part of a frame, or of the magic.
  return receiveUntil(timeout, [this](Poco::Timespan left) { return receiveOnce(left); });
}

Incoming TcpTransport::receiveOnce(Poco::Timespan timeout) {
  Incoming in;
  in.from = peer_;
  if (streamBroken_) {
    in.kind = Incoming::Kind::kClosed;
    return in;
  }
  if (kind_ == PeerKind::kPigeon) {
    Incoming frame = takeFrame();
    if (frame.kind != Incoming::Kind::kTimeout) {
      frame.arrivalNs = wire::steadyNowNs();
      return frame;
    }
  }
  if (peerClosed_) {
    in.kind = Incoming::Kind::kClosed;
    return in;
  }
  if (kind_ == PeerKind::kPigeon) {
    // Straight into the framer: a file or a stream at a GB/s is copied
    // once on its way to the caller, not three times.
    const auto n = readInto(timeout, framer_.reserveTail(kReadChunk));
    if (!n) return in;  // kTimeout
    framer_.commitTail(*n);
    if (*n == 0) {
      in.kind = Incoming::Kind::kClosed;
      return in;
    }
    const std::int64_t arrivalNs = wire::steadyNowNs();
    Incoming frame = takeFrame();
    frame.arrivalNs = arrivalNs;
    return frame;
  }

  Incoming chunk;
  const bool gotSomething = readSome(timeout, chunk);
  if (!gotSomething) {
    // A peer that sent a lone 'P' or "PG" and then went quiet is plain.
    if (kind_ == PeerKind::kUnknown && !undecided_.empty()) {
      kind_ = PeerKind::kPlain;
      in.kind = Incoming::Kind::kPlain;
      in.payload = std::move(undecided_);
      undecided_.clear();
      in.arrivalNs = wire::steadyNowNs();
    }
    return in;  // kTimeout otherwise
  }
  if (peerClosed_ && chunk.payload.empty()) {
    if (!undecided_.empty()) {
      in.kind = Incoming::Kind::kPlain;
      in.payload = std::move(undecided_);
      undecided_.clear();
      return in;
    }
    in.kind = Incoming::Kind::kClosed;
    return in;
  }

  switch (kind_.load()) {
    case PeerKind::kPlain:
      chunk.kind = Incoming::Kind::kPlain;
      chunk.from = peer_;
      return chunk;
    case PeerKind::kPigeon:  // read straight into the framer, above
    case PeerKind::kUnknown:
      break;
  }

  undecided_.insert(undecided_.end(), chunk.payload.begin(), chunk.payload.end());
  if (!wire::startsLikeFrame(undecided_)) {
    kind_ = PeerKind::kPlain;
    in.kind = Incoming::Kind::kPlain;
    in.payload = std::move(undecided_);
    undecided_.clear();
    in.arrivalNs = chunk.arrivalNs;
    return in;
  }
  if (undecided_.size() < 3) return in;  // kTimeout: need more to tell
  kind_ = PeerKind::kPigeon;
  framer_.append(undecided_);
  undecided_.clear();
  Incoming frame = takeFrame();
  frame.arrivalNs = chunk.arrivalNs;
  return frame;
}

void TcpTransport::shutdownSend() {
  try {
    socket_.shutdownSend();
  } catch (const Poco::Exception&) {
    // already gone
  }
}

void TcpTransport::close() {
  try {
    socket_.close();
  } catch (const Poco::Exception&) {
    // closing twice is harmless
  }
}

}  // namespace pigeon::transport
