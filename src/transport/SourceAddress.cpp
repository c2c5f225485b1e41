#include "transport/SourceAddress.h"

#include <netinet/in.h>

#include <algorithm>
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
