#include "bench/SourceKey.h"

#include <netinet/in.h>

#include <cstring>

namespace pigeon::bench {
namespace {

constexpr std::uint8_t kV4Mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};

// The address bytes: 4 for IPv4 (and IPv4 mapped into IPv6), 16 for IPv6.
std::string addressBytes(const transport::SourceAddress& from) {
  if (from.name()->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(from.name());
    return {reinterpret_cast<const char*>(&in->sin_addr), 4};
  }
  const auto* in6 = reinterpret_cast<const sockaddr_in6*>(from.name());
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(&in6->sin6_addr);
  if (std::memcmp(bytes, kV4Mapped, sizeof kV4Mapped) == 0) {
    return {reinterpret_cast<const char*>(bytes + 12), 4};
  }
  return {reinterpret_cast<const char*>(bytes), 16};
}

}  // namespace

std::string SourceKey::endpoint(const Poco::Net::SocketAddress& from) {
  return endpoint(transport::SourceAddress(from));
}

std::string SourceKey::rateLimited(const Poco::Net::SocketAddress& from) {
  return rateLimited(transport::SourceAddress(from));
}

std::string SourceKey::endpoint(const transport::SourceAddress& from) {
  std::string key = addressBytes(from);
  const std::uint16_t port = from.port();
  key.push_back(static_cast<char>(port >> 8));
  key.push_back(static_cast<char>(port & 0xFF));
  return key;
}

std::string SourceKey::rateLimited(const transport::SourceAddress& from) {
  std::string key = addressBytes(from);
  if (key.size() == 16) key.resize(8);  // the /64
  return key;
}

}  // namespace pigeon::bench
