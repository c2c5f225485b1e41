#pragma once

#include "transport/TransportError.h"

#include <Poco/Exception.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Net/SocketAddress.h>

#include <cerrno>

#include <cstdint>
#include <string>
#include <string_view>

namespace pigeon::transport {

// A HOST:PORT as a person writes it: "localhost:9000", "127.0.0.1:9000",
// "[::1]:9000". Parsing checks the shape only; resolve() asks the resolver.
struct Endpoint {
  std::string host;
  std::uint16_t port = 0;

  // Throws TransportError(kBadAddress) naming what is wrong.
  static Endpoint parse(std::string_view text);

  // The first address the name resolves to, IPv4 preferred for names that
  // have both (as nc does). Throws TransportError(kHostNotFound).
  Poco::Net::SocketAddress resolve() const;

  std::string toString() const;
};

// Where to listen: `bind` (an address or name, IPv6 in brackets or not) at
// `port`, or, when `bind` is empty, every address, IPv6 and IPv4 ("::").
// Throws TransportError(kHostNotFound).
Poco::Net::SocketAddress bindAddress(const std::string& bind, std::uint16_t port);

// The one rule for where a server listens: at bindAddress(bind, port), and,
// when `bind` is empty and the host has no IPv6, at IPv4's wildcard instead.
// `open(address)` makes the socket; any other error it throws (a port in
// use, say) is passed on as it is. Returns what `open` returned.
template <typename Open>
auto listenWithFallback(const std::string& bind, std::uint16_t port, Open&& open) {
  try {
    return open(bindAddress(bind, port));
  } catch (const TransportError& e) {
    if (!bind.empty() || e.code() != TransportError::Code::kFamilyNotSupported) throw;
  } catch (const Poco::Exception& e) {
    if (!bind.empty() || e.code() != EAFNOSUPPORT) throw;
  }
  return open(Poco::Net::SocketAddress(Poco::Net::IPAddress(), port));  // a host without IPv6
}

// Parses a port number 0..65535; throws TransportError(kBadAddress).
std::uint16_t parsePort(std::string_view text);

// "127.0.0.1:9000" or "[::1]:9000"; v4-mapped IPv6 addresses shown as IPv4.
std::string formatAddress(const Poco::Net::SocketAddress& address);

}  // namespace pigeon::transport
