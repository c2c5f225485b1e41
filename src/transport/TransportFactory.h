#pragma once

#include "transport/Listener.h"
#include "transport/Transport.h"
#include "transport/TransportKind.h"
#include "transport/rudp/RudpOptions.h"

#include <Poco/Net/SocketAddress.h>
#include <Poco/Timespan.h>

#include <memory>
#include <string>
#include <vector>

namespace pigeon::transport {

// How to open a transport, whatever its kind; fields a kind does not use
// are ignored.
struct TransportOptions {
  bool tcpNoDelay = true;
  std::string tcpCongestionControl;  // empty: the kernel's default
  int receiveBufferBytes = 0;        // 0: the kernel's default
  rudp::RudpOptions rudp;            // ARQ scheme, delivery, timers
};

// Listens for a peer on `local`. Throws TransportError.
std::unique_ptr<Listener> listenOn(TransportKind kind, const Poco::Net::SocketAddress& local,
                                   const TransportOptions& options = {});

// How long a connect waits for its peer unless told otherwise. Long enough
// for a handshake across a link that loses a fifth of the packets each way
// (rudp: ten Connects at most; tcp: four SYNs, at 0, 1, 3 and 7 s): with
// 5 s, about 3 in 100 rudp connects through such a link gave up (8 in 100
// before rudp stopped doubling its resend gap at 1 s).
inline const Poco::Timespan kDefaultConnectTimeout(10, 0);

// Opens a transport to `peer`. Throws TransportError.
std::unique_ptr<Transport> connectTo(TransportKind kind, const Poco::Net::SocketAddress& peer,
                                     const TransportOptions& options = {},
                                     Poco::Timespan timeout = kDefaultConnectTimeout);

// Applies the per-socket options that must follow a connect or accept.
void applyOptions(Transport& transport, const TransportOptions& options);

}  // namespace pigeon::transport
