#pragma once

#include "transport/rudp/DropReason.h"
#include "transport/rudp/RudpPackets.h"

#include <Poco/Net/SocketAddress.h>

#include <array>
#include <cstdint>

namespace pigeon::transport::rudp {

// Stateless handshake cookies (in the spirit of SYN cookies, RFC 4987 and
// QUIC Retry tokens): a cookie is
//   time bucket (u64) | HMAC-SHA256(secret, bucket | peer address | port | Hello)[0..16)
// where bucket = nowNs / lifetime. It is good in its own bucket and the
// next, so for 1 to 2 lifetimes. Nothing is stored per peer: a cookie
// proves the client can receive at the address it claims and saw our
// Challenge recently. Not thread safe (copy one per thread).
class CookieMinter {
 public:
  static constexpr std::size_t kSecretBytes = 32;
  using Secret = std::array<std::uint8_t, kSecretBytes>;

  CookieMinter(const Secret& secret, std::int64_t lifetimeNs);

  Cookie mint(const Poco::Net::SocketAddress& peer, const Hello& hello, std::int64_t nowNs) const;

  // kNone, kExpiredCookie (bucket too old or ahead of now) or kBadCookie.
  DropReason verify(const Cookie& cookie, const Poco::Net::SocketAddress& peer, const Hello& hello,
                    std::int64_t nowNs) const;

  // 32 bytes from the system's random source.
  static Secret randomSecret();

 private:
  Cookie make(const Poco::Net::SocketAddress& peer, const Hello& hello, std::uint64_t bucket) const;
  std::uint64_t bucketOf(std::int64_t nowNs) const;

  Secret secret_;
  std::int64_t lifetimeNs_;
};

}  // namespace pigeon::transport::rudp
