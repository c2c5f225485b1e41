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

std::uint16_t SourceAddress::port() const {
  if (name_.ss_family == AF_INET)
    return ntohs(reinterpret_cast<const sockaddr_in&>(name_).sin_port);
  if (name_.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6&>(name_).sin6_port);
  }
  return 0;
}

Poco::Net::SocketAddress SourceAddress::toSocketAddress() const {
  if (empty()) return {};
  return {reinterpret_cast<const sockaddr*>(&name_), length_};
}

namespace {

// The comparisons, on the kernel's names in place (no copy: the receive
// path asks this of every datagram).
bool sameHostIn(const sockaddr_storage& a, socklen_t aLength, const sockaddr* b,
                socklen_t bLength) {
  if (aLength == 0 || bLength == 0 || a.ss_family != b->sa_family) return false;
  if (a.ss_family == AF_INET && bLength >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    return reinterpret_cast<const sockaddr_in&>(a).sin_addr.s_addr ==
           reinterpret_cast<const sockaddr_in*>(b)->sin_addr.s_addr;
  }
  if (a.ss_family == AF_INET6 && bLength >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    const auto& x = reinterpret_cast<const sockaddr_in6&>(a);
    const auto* y = reinterpret_cast<const sockaddr_in6*>(b);
    return x.sin6_scope_id == y->sin6_scope_id &&
           std::memcmp(&x.sin6_addr, &y->sin6_addr, sizeof x.sin6_addr) == 0;
  }
  return false;
}

bool samePortIn(const sockaddr_storage& a, const sockaddr* b) {
  if (a.ss_family == AF_INET) {
    return reinterpret_cast<const sockaddr_in&>(a).sin_port ==
           reinterpret_cast<const sockaddr_in*>(b)->sin_port;
  }
  return reinterpret_cast<const sockaddr_in6&>(a).sin6_port ==
         reinterpret_cast<const sockaddr_in6*>(b)->sin6_port;
}

}  // namespace

bool SourceAddress::sameHost(const SourceAddress& other) const {
  return sameHostIn(name_, length_, reinterpret_cast<const sockaddr*>(&other.name_), other.length_);
}

bool SourceAddress::operator==(const SourceAddress& other) const {
  return is(reinterpret_cast<const sockaddr*>(&other.name_), other.length_);
}

bool SourceAddress::is(const sockaddr* name, socklen_t length) const {
  return sameHostIn(name_, length_, name, length) && samePortIn(name_, name);
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

}  // namespace pigeon::transport
