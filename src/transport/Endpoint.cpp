#include "transport/Endpoint.h"

#include "transport/TransportError.h"

#include <Poco/Net/DNS.h>
#include <Poco/Net/HostEntry.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Net/NetException.h>

#include <charconv>

namespace pigeon::transport {

using Code = TransportError::Code;

std::uint16_t parsePort(std::string_view text) {
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value > 65535) {
    throw TransportError(Code::kBadAddress,
                         "'" + std::string(text) + "' is not a port number (0-65535)");
  }
  return static_cast<std::uint16_t>(value);
}

Endpoint Endpoint::parse(std::string_view text) {
  const std::string quoted = "'" + std::string(text) + "'";
  Endpoint endpoint;
  std::string_view portText;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      throw TransportError(Code::kBadAddress, quoted + " is not [IPv6]:PORT (example: [::1]:9000)");
    }
    endpoint.host = std::string(text.substr(1, close - 1));
    portText = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) {
      throw TransportError(Code::kBadAddress,
                           quoted + " is not HOST:PORT (example: 127.0.0.1:9000, [::1]:9000)");
    }
    endpoint.host = std::string(text.substr(0, colon));
    portText = text.substr(colon + 1);
  }
  if (endpoint.host.empty()) {
    throw TransportError(Code::kBadAddress, quoted + " has no host");
  }
  endpoint.port = parsePort(portText);
  return endpoint;
}

Poco::Net::SocketAddress Endpoint::resolve() const {
  Poco::Net::IPAddress literal;
  if (Poco::Net::IPAddress::tryParse(host, literal)) return {literal, port};
  try {
    const auto entry = Poco::Net::DNS::hostByName(host);
    const auto& addresses = entry.addresses();
    for (const auto& a : addresses) {
      if (a.family() == Poco::Net::IPAddress::IPv4) return {a, port};
    }
    if (!addresses.empty()) return {addresses.front(), port};
  } catch (const Poco::Exception&) {
    // reported below, in the user's words
  }
  throw TransportError(Code::kHostNotFound, "host not found: " + host);
}

Poco::Net::SocketAddress bindAddress(const std::string& bind, std::uint16_t port) {
  if (bind.empty()) return {Poco::Net::IPAddress::wildcard(Poco::Net::IPAddress::IPv6), port};
  Endpoint endpoint{bind, port};
  if (bind.size() > 2 && bind.front() == '[' && bind.back() == ']') {
    endpoint.host = bind.substr(1, bind.size() - 2);
  }
  return endpoint.resolve();
}

std::string Endpoint::toString() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

std::string formatAddress(const Poco::Net::SocketAddress& address) {
  const Poco::Net::IPAddress& ip = address.host();
  if (ip.family() == Poco::Net::IPAddress::IPv6 && ip.isIPv4Mapped()) {
    const std::string text = ip.toString();  // "::ffff:127.0.0.1"
    const auto colon = text.rfind(':');
    return text.substr(colon + 1) + ":" + std::to_string(address.port());
  }
  if (ip.family() == Poco::Net::IPAddress::IPv6) {
    return "[" + ip.toString() + "]:" + std::to_string(address.port());
  }
  return ip.toString() + ":" + std::to_string(address.port());
}

}  // namespace pigeon::transport
