#pragma once

#include "transport/TransportError.h"

#include <Poco/Exception.h>
#include <Poco/Net/SocketAddress.h>

#include <string>

namespace pigeon::transport {

// Turns what Poco threw for a socket call into a TransportError whose message
// a person can act on. `what` names the action and address, e.g.
// "bind udp 0.0.0.0:9000".
TransportError translateSocketError(const Poco::Exception& e, const std::string& what);

// The error of a system call on a UDP socket talking with `peer`, from
// errno. ECONNREFUSED, an ICMP port unreachable the kernel passed on, is
// said as such: "udp peer 127.0.0.1:9 is not listening (ICMP port
// unreachable)". `sending` picks "udp to" or "udp from" for the rest.
TransportError datagramError(int error, const Poco::Net::SocketAddress& peer, bool sending);

// True for an errno that the network sent back (ICMP: port or host
// unreachable, a reset) about an earlier datagram: the socket stays usable,
// and a server or relay reading many peers goes on.
bool isNetworkError(int error);

}  // namespace pigeon::transport
