#pragma once

#include "transport/Transport.h"

#include <Poco/Net/SocketAddress.h>
#include <Poco/Timespan.h>

#include <memory>
#include <optional>

namespace pigeon::transport {

// The passive side of any transport: where a peer comes to. A TCP listener
// hands out one transport per connection; a UDP one hands out its single
// socket, whose peer is whoever speaks first.
class Listener {
 public:
  virtual ~Listener() = default;

  // The next peer's transport, or nullptr if none within `timeout`.
  virtual std::unique_ptr<Transport> accept(Poco::Timespan timeout) = 0;

  virtual Poco::Net::SocketAddress localAddress() const = 0;

  // True where accept() hands out its transport at once, before any peer has
  // spoken (a UDP socket receives from whoever comes), so a receiver can take
  // it before the sender starts.
  virtual bool acceptsWithoutWaiting() const { return false; }

  // A source that came speaking another transport's protocol to this port
  // (pigeon frames over udp at an rudp listener), if one has; for a line
  // saying so.
  virtual std::optional<Poco::Net::SocketAddress> wrongProtocolPeer() const { return std::nullopt; }
};

}  // namespace pigeon::transport
