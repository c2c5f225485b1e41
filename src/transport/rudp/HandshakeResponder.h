#pragma once

#include "transport/rudp/CookieMinter.h"
#include "transport/rudp/DropReason.h"
#include "transport/rudp/RudpConnection.h"
#include "transport/rudp/RudpOptions.h"

#include <Poco/Net/SocketAddress.h>

#include <functional>
#include <optional>

namespace pigeon::transport::rudp {

// The listener's side of the handshake, and nothing else: it keeps NO
// state per peer. A Connect is answered with a Challenge carrying a cookie
// (CookieMinter) and forgotten; only a Cookie message whose cookie checks
// out for its source address and fields, within its lifetime, yields the
// parameters of a new connection, for which the caller creates an
// RudpConnection (which sends the Accept). Datagrams from a spoofed source
// cost one Challenge no larger than themselves. No socket, no clock. Not
// thread safe.
class HandshakeResponder {
 public:
  using Transmit = std::function<void(wire::ByteSpan datagram, const Poco::Net::SocketAddress& to)>;
  using RandomSource = std::function<std::uint64_t()>;  // for our ISN

  struct Counters {
    std::uint64_t challengesSent = 0;
    std::uint64_t cookiesAccepted = 0;
    std::uint64_t dropped = 0;
  };
  struct Result {
    InputResult input;
    std::optional<ConnectionParams> accepted;  // a valid cookie came back
  };

  HandshakeResponder(const RudpOptions& options, const CookieMinter::Secret& secret,
                     Transmit transmit, RandomSource random);

  Result input(wire::ByteSpan datagram, const Poco::Net::SocketAddress& from, std::int64_t nowNs);

  const Counters& counters() const { return counters_; }

 private:
  Result onConnect(const wire::Frame& frame, const Poco::Net::SocketAddress& from,
                   std::int64_t nowNs);
  Result onCookie(const wire::Frame& frame, const Poco::Net::SocketAddress& from,
                  std::int64_t nowNs);

  RudpOptions options_;
  CookieMinter minter_;
  Transmit transmit_;
  RandomSource random_;
  Counters counters_;
  wire::Bytes out_;
};

}  // namespace pigeon::transport::rudp
