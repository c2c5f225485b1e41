#include "transport/rudp/HandshakeResponder.h"

#include "transport/rudp/RudpCodec.h"

namespace pigeon::transport::rudp {

using wire::MessageType;

HandshakeResponder::HandshakeResponder(const RudpOptions& options,
                                       const CookieMinter::Secret& secret, Transmit transmit,
                                       RandomSource random)
    : options_(options),
      minter_(secret, options.cookieLifetimeMs * kNsPerMs),
      transmit_(std::move(transmit)),
      random_(std::move(random)) {}

HandshakeResponder::Result HandshakeResponder::input(wire::ByteSpan datagram,
                                                     const Poco::Net::SocketAddress& from,
                                                     std::int64_t nowNs) {
  wire::Frame frame;
  Result result;
  result.input = decodeRudpDatagram(datagram, frame);
  if (result.input.taken()) {
    switch (frame.header.type) {
      case MessageType::kRudpConnect:
        result = onConnect(frame, from, nowNs);
        break;
      case MessageType::kRudpCookie:
        result = onCookie(frame, from, nowNs);
        break;
      default:
        result.input.drop = DropReason::kUnexpected;
        break;
    }
  }
  if (!result.input.taken()) ++counters_.dropped;
  return result;
}

HandshakeResponder::Result HandshakeResponder::onConnect(const wire::Frame& frame,
                                                         const Poco::Net::SocketAddress& from,
                                                         std::int64_t nowNs) {
  Hello hello;
  const DropReason drop = parseConnect(frame.payload, hello);
  if (drop != DropReason::kNone) return {{drop, {}}, std::nullopt};
  out_.clear();
  appendChallenge(hello.connectionId, minter_.mint(from, hello, nowNs), nowNs, out_);
  ++counters_.challengesSent;
  transmit_(out_, from);
  return {};
}

HandshakeResponder::Result HandshakeResponder::onCookie(const wire::Frame& frame,
                                                        const Poco::Net::SocketAddress& from,
                                                        std::int64_t nowNs) {
  Hello hello;
  Cookie cookie;
  DropReason drop = parseCookie(frame.payload, hello, cookie);
  if (drop == DropReason::kNone) drop = minter_.verify(cookie, from, hello, nowNs);
  if (drop != DropReason::kNone) return {{drop, {}}, std::nullopt};

  ++counters_.cookiesAccepted;
  ConnectionParams params;
  params.role = ConnectionParams::Role::kListener;
  params.connectionId = hello.connectionId;
  params.localIsn = random_();
  params.peerIsn = hello.initialSequence;
  params.peerWindow = hello.receiveWindow;
  params.arq = options_.listenerFollowsClient ? hello.arq : options_.arq;
  params.delivery = options_.listenerFollowsClient ? hello.delivery : options_.delivery;
  return {{}, params};
}

}  // namespace pigeon::transport::rudp
