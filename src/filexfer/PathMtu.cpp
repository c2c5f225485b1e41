#include "filexfer/PathMtu.h"

#include "filexfer/FileOffer.h"
#include "transport/rudp/RudpPackets.h"
#include "wire/Header.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

namespace pigeon::filexfer {

namespace {

constexpr std::size_t kIpv4HeaderBytes = 20;
constexpr std::size_t kIpv6HeaderBytes = 40;
constexpr std::size_t kUdpHeaderBytes = 8;
// The most a UDP-carried transport adds to a chunk: rudp's header, data
// prefix and CRC (udp's own header is smaller).
constexpr std::size_t kFrameOverheadBytes =
    wire::kMaxDatagramSize - transport::rudp::kMaxUserPayload;

}  // namespace

std::optional<std::size_t> pathMtuBytes(const Poco::Net::SocketAddress& peer) {
  const bool ipv6 = peer.family() == Poco::Net::SocketAddress::IPv6;
  const int fd = ::socket(ipv6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  std::optional<std::size_t> mtu;
  int value = 0;
  socklen_t length = sizeof(value);
  // connect() on a UDP socket only picks the route; nothing is sent.
  if (::connect(fd, peer.addr(), peer.length()) == 0 &&
      ::getsockopt(fd, ipv6 ? IPPROTO_IPV6 : IPPROTO_IP, ipv6 ? IPV6_MTU : IP_MTU, &value,
                   &length) == 0 &&
      value > 0) {
    mtu = static_cast<std::size_t>(value);
  }
  ::close(fd);
  return mtu;
}

std::size_t chunkForUdpPath(std::size_t defaultChunk, std::optional<std::size_t> mtuBytes,
                            bool ipv6) {
  if (!mtuBytes) return defaultChunk;
  const std::size_t overhead =
      (ipv6 ? kIpv6HeaderBytes : kIpv4HeaderBytes) + kUdpHeaderBytes + kFrameOverheadBytes;
  const std::size_t fits = *mtuBytes > overhead ? *mtuBytes - overhead : 0;
  return std::min(std::max<std::size_t>(fits, kMinChunkBytes), defaultChunk);
}

}  // namespace pigeon::filexfer
