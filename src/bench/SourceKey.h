#pragma once

#include "transport/SourceAddress.h"

#include <Poco/Net/SocketAddress.h>

#include <cstdint>
#include <string>

namespace pigeon::bench {

// Map keys for the sources a UDP echo hears from. An IPv4 address and the
// same address mapped into IPv6 (::ffff:a.b.c.d, as a dual-stack socket sees
// it) give the same key.
class SourceKey {
 public:
  // One sending socket: address and port (a probe stream's own state).
  static std::string endpoint(const Poco::Net::SocketAddress& from);
  static std::string endpoint(const transport::SourceAddress& from);

  // What a rate limit is kept for: the IPv4 address, or the IPv6 /64 (a
  // host usually holds a whole /64, so one address each would be no limit).
  // The port is left out: opening more sockets is no way around the limit.
  static std::string rateLimited(const Poco::Net::SocketAddress& from);
  static std::string rateLimited(const transport::SourceAddress& from);

  // Ports below 1024 belong to servers (7 echo, 13 daytime, 19 chargen,
  // 37 time, 53 DNS, 123 NTP, ...), never to a client's ephemeral socket; a
  // datagram "from" one is a spoof aimed at starting a reflection loop.
  static constexpr std::uint16_t kFirstClientPort = 1024;
  static bool isServerPort(std::uint16_t port) { return port < kFirstClientPort; }
};

}  // namespace pigeon::bench
