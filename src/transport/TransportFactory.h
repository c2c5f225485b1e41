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

// Opens a transport to `peer`. Throws TransportError.
std::unique_ptr<Transport> connectTo(TransportKind kind, const Poco::Net::SocketAddress& peer,
                                     const TransportOptions& options = {},
                                     Poco::Timespan timeout = Poco::Timespan(5, 0));

// Applies the per-socket options that must follow a connect or accept.
void applyOptions(Transport& transport, const TransportOptions& options);

}  // namespace pigeon::transport
