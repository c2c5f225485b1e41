#include "transport/SocketErrors.h"

#include <Poco/Net/NetException.h>

#include "transport/Endpoint.h"

#include <cerrno>
#include <cstring>

namespace pigeon::transport {

using Code = TransportError::Code;

TransportError translateSocketError(const Poco::Exception& e, const std::string& what) {
  switch (e.code()) {
    case EADDRINUSE:
      return {Code::kAddressInUse, what + ": address already in use"};
    case EADDRNOTAVAIL:
      return {Code::kAddressNotAvailable, what + ": not an address of this host"};
    case EACCES:
      return {Code::kOther, what + ": permission denied (ports below 1024 need root)"};
    case ECONNREFUSED:
      return {Code::kConnectionRefused, what + ": connection refused"};
    case ETIMEDOUT:
      return {Code::kTimedOut, what + ": timed out"};
    case EMSGSIZE:
      return {Code::kMessageTooLong, what + ": message too long"};
    case ECONNRESET:
    case EPIPE:
      return {Code::kPeerClosed, what + ": connection reset by peer"};
    case ENETUNREACH:
    case EHOSTUNREACH:
      return {Code::kOther, what + ": network unreachable"};
    case EAFNOSUPPORT:
      return {Code::kFamilyNotSupported, what + ": address family not supported here"};
    default:
      break;
  }
  if (dynamic_cast<const Poco::Net::ConnectionRefusedException*>(&e)) {
    return {Code::kConnectionRefused, what + ": connection refused"};
  }
  if (dynamic_cast<const Poco::TimeoutException*>(&e)) {
    return {Code::kTimedOut, what + ": timed out"};
  }
  if (dynamic_cast<const Poco::Net::ConnectionResetException*>(&e)) {
    return {Code::kPeerClosed, what + ": connection reset by peer"};
  }
  return {Code::kOther, what + ": " + e.displayText()};
}

TransportError datagramError(int error, const Poco::Net::SocketAddress& peer, bool sending) {
  const std::string name = formatAddress(peer);
  if (error == ECONNREFUSED) {
    return {Code::kConnectionRefused,
            "udp peer " + name + " is not listening (ICMP port unreachable)"};
  }
  return translateSocketError(Poco::IOException(std::strerror(error), error),
                              (sending ? "udp to " : "udp from ") + name);
}

bool isNetworkError(int error) {
  switch (error) {
    case ECONNREFUSED:
    case ECONNRESET:
    case EHOSTUNREACH:
    case ENETUNREACH:
    case EHOSTDOWN:
      return true;
    default:
      return false;
  }
}

}  // namespace pigeon::transport
