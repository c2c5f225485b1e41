#include "transport/SourceAddress.h"

#include <netinet/in.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace pigeon::transport {

SourceAddress::SourceAddress(const Poco::Net::SocketAddress& address)
    : SourceAddress(address.addr(), address.length()) {}

SourceAddress::SourceAddress(const sockaddr* name, socklen_t length) {
  length_ = std::min<socklen_t>(length, sizeof name_);
  std::memcpy(&name_, name, length_);
}

Poco::Net::SocketAddress SourceAddress::toSocketAddress() const {
  if (empty()) return {};
  return {reinterpret_cast<const sockaddr*>(&name_), length_};
}

bool SourceAddress::sameHost(const SourceAddress& other) const {
  if (empty() || other.empty() || name_.ss_family != other.name_.ss_family) return false;
  if (name_.ss_family == AF_INET) {
    const auto& a = reinterpret_cast<const sockaddr_in&>(name_);
    const auto& b = reinterpret_cast<const sockaddr_in&>(other.name_);
    return a.sin_addr.s_addr == b.sin_addr.s_addr;
  }
  if (name_.ss_family == AF_INET6) {
    const auto& a = reinterpret_cast<const sockaddr_in6&>(name_);
    const auto& b = reinterpret_cast<const sockaddr_in6&>(other.name_);
    return a.sin6_scope_id == b.sin6_scope_id &&
           std::memcmp(&a.sin6_addr, &b.sin6_addr, sizeof a.sin6_addr) == 0;
  }
  return false;
}

std::size_t SourceAddress::hash() const {
  // FNV-1a over what == compares: the address, the port (and IPv6 scope).
  std::uint64_t h = 14695981039346656037ull;
  const auto mix = [&h](const void* data, std::size_t size) {
    const auto* p = static_cast<const std::uint8_t*>(data);
    for (std::size_t i = 0; i < size; ++i) h = (h ^ p[i]) * 1099511628211ull;
  };
  if (name_.ss_family == AF_INET) {
    const auto& a = reinterpret_cast<const sockaddr_in&>(name_);
    mix(&a.sin_addr, sizeof a.sin_addr);
    mix(&a.sin_port, sizeof a.sin_port);
  } else if (name_.ss_family == AF_INET6) {
    const auto& a = reinterpret_cast<const sockaddr_in6&>(name_);
    mix(&a.sin6_addr, sizeof a.sin6_addr);
    mix(&a.sin6_port, sizeof a.sin6_port);
    mix(&a.sin6_scope_id, sizeof a.sin6_scope_id);
  }
  return static_cast<std::size_t>(h);
}

bool SourceAddress::operator==(const SourceAddress& other) const {
  if (!sameHost(other)) return false;
  if (name_.ss_family == AF_INET) {
    return reinterpret_cast<const sockaddr_in&>(name_).sin_port ==
           reinterpret_cast<const sockaddr_in&>(other.name_).sin_port;
  }
  return reinterpret_cast<const sockaddr_in6&>(name_).sin6_port ==
         reinterpret_cast<const sockaddr_in6&>(other.name_).sin6_port;
}

}  // namespace pigeon::transport
