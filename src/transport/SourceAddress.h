#pragma once

#include <Poco/Net/SocketAddress.h>

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>

namespace pigeon::transport {

// Where a datagram came from, as the kernel names it (recvfrom, recvmmsg).
// The one comparison every UDP user shares: family, address and port, and
// the scope of an IPv6 address; nothing else of the sockaddr (padding,
// flow label) counts. A plain value, cheap to copy.
class SourceAddress {
 public:
  SourceAddress() = default;
  explicit SourceAddress(const Poco::Net::SocketAddress& address);
  // `length` as the kernel returned it; bytes beyond sockaddr_storage are ignored.
  SourceAddress(const sockaddr* name, socklen_t length);

  bool empty() const { return length_ == 0; }
  // The name as the kernel takes it (sendto).
  const sockaddr* name() const { return reinterpret_cast<const sockaddr*>(&name_); }
  socklen_t length() const { return length_; }
  // The port, 0 for a family without one.
  std::uint16_t port() const;
  Poco::Net::SocketAddress toSocketAddress() const;

  // Same family, address and port (and IPv6 scope).
  bool operator==(const SourceAddress& other) const;
  // The same comparison with a name as the kernel returned it, in place.
  bool is(const sockaddr* name, socklen_t length) const;

  // Same host, whatever the port: one person behind many source ports.
  bool sameHost(const SourceAddress& other) const;

  // Agrees with ==: equal addresses hash alike (for a table keyed by source).
  std::size_t hash() const;

 private:
  sockaddr_storage name_{};
  socklen_t length_ = 0;
};

struct SourceAddressHash {
  std::size_t operator()(const SourceAddress& a) const { return a.hash(); }
};

}  // namespace pigeon::transport
