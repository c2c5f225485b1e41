#include "transport/rudp/CookieMinter.h"

#include "wire/Bytes.h"

#include <Poco/HMACEngine.h>
#include <Poco/SHA2Engine.h>

#include <algorithm>
#include <random>

namespace pigeon::transport::rudp {

namespace {

// Poco's HMACEngine wants the block and digest sizes as constants.
class Sha256 : public Poco::SHA2Engine {
 public:
  enum { BLOCK_SIZE = 64, DIGEST_SIZE = 32 };
  Sha256() : Poco::SHA2Engine(Poco::SHA2Engine::SHA_256) {}
};

constexpr std::size_t kMacBytes = kCookieBytes - 8;

}  // namespace

CookieMinter::CookieMinter(const Secret& secret, std::int64_t lifetimeNs)
    : secret_(secret), lifetimeNs_(std::max<std::int64_t>(1, lifetimeNs)) {}

std::uint64_t CookieMinter::bucketOf(std::int64_t nowNs) const {
  return static_cast<std::uint64_t>(std::max<std::int64_t>(0, nowNs) / lifetimeNs_);
}

Cookie CookieMinter::make(const Poco::Net::SocketAddress& peer, const Hello& hello,
                          std::uint64_t bucket) const {
  Poco::HMACEngine<Sha256> hmac(
      std::string(reinterpret_cast<const char*>(secret_.data()), secret_.size()));
  std::array<std::uint8_t, 8 + 2 + 2 + 4 + 1 + 1 + 8 + 4> fields{};
  std::uint8_t* p = fields.data();
  wire::putU64(p, bucket);
  wire::putU16(p + 8, static_cast<std::uint16_t>(peer.family()));
  wire::putU16(p + 10, peer.port());
  wire::putU32(p + 12, hello.connectionId);
  p[16] = static_cast<std::uint8_t>(hello.arq);
  p[17] = static_cast<std::uint8_t>(hello.delivery);
  wire::putU64(p + 18, hello.initialSequence);
  wire::putU32(p + 26, hello.receiveWindow);
  hmac.update(fields.data(), fields.size());
  hmac.update(peer.host().addr(), static_cast<unsigned>(peer.host().length()));
  const Poco::DigestEngine::Digest& digest = hmac.digest();

  Cookie cookie{};
  wire::putU64(cookie.data(), bucket);
  std::copy_n(digest.begin(), kMacBytes, cookie.begin() + 8);
  return cookie;
}

Cookie CookieMinter::mint(const Poco::Net::SocketAddress& peer, const Hello& hello,
                          std::int64_t nowNs) const {
  return make(peer, hello, bucketOf(nowNs));
}

DropReason CookieMinter::verify(const Cookie& cookie, const Poco::Net::SocketAddress& peer,
                                const Hello& hello, std::int64_t nowNs) const {
  const std::uint64_t bucket = wire::getU64(cookie.data());
  const std::uint64_t now = bucketOf(nowNs);
  if (bucket > now || now - bucket > 1) return DropReason::kExpiredCookie;
  const Cookie expected = make(peer, hello, bucket);
  // Compare every byte, so the time taken says nothing about where they differ.
  std::uint8_t difference = 0;
  for (std::size_t i = 0; i < kCookieBytes; ++i) difference |= cookie[i] ^ expected[i];
  return difference == 0 ? DropReason::kNone : DropReason::kBadCookie;
}

CookieMinter::Secret CookieMinter::randomSecret() {
  std::random_device device;
  Secret secret{};
  for (std::size_t i = 0; i < kSecretBytes; i += 4) {
    wire::putU32(secret.data() + i, device());
  }
  return secret;
}

}  // namespace pigeon::transport::rudp
