#include "transport/SocketStats.h"

#include "transport/TransportError.h"

#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>

namespace pigeon::transport {

std::optional<std::uint64_t> socketDrops(int fd) {
  std::array<std::uint32_t, SK_MEMINFO_VARS> info{};
  socklen_t len = sizeof info;
  if (::getsockopt(fd, SOL_SOCKET, SO_MEMINFO, info.data(), &len) != 0 ||
      len < sizeof(std::uint32_t) * (SK_MEMINFO_DROPS + 1)) {
    return std::nullopt;
  }
  return info[SK_MEMINFO_DROPS];
}

std::optional<std::uint64_t> tcpRetransmits(int fd) {
  tcp_info info{};
  socklen_t len = sizeof info;
  if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return std::nullopt;
  return info.tcpi_total_retrans;
}

std::optional<std::string> tcpCongestionControl(int fd) {
  char name[32] = {};
  socklen_t len = sizeof name;
  if (::getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, &len) != 0) return std::nullopt;
  return std::string(name, strnlen(name, sizeof name));
}

void setTcpCongestionControl(int fd, const std::string& name) {
  if (::setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name.c_str(),
                   static_cast<socklen_t>(name.size())) == 0) {
    return;
  }
  const int error = errno;
  std::string available;
  std::ifstream list("/proc/sys/net/ipv4/tcp_available_congestion_control");
  std::getline(list, available);
  throw TransportError(TransportError::Code::kOther,
                       "congestion control '" + name + "' not available (" + std::strerror(error) +
                           "); this kernel has: " + available);
}

void checkTcpCongestionControl(const std::string& name) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;  // no socket to ask: the run's own setsockopt says it
  try {
    setTcpCongestionControl(fd, name);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
}

void enlargeReceiveBuffer(int fd, int bytes) {
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0) {
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
  }
}

std::optional<std::size_t> receiveBufferCeilingBytes() {
  std::ifstream file("/proc/sys/net/core/rmem_max");
  std::size_t bytes = 0;
  if (!(file >> bytes) || bytes == 0) return std::nullopt;
  return bytes;
}

}  // namespace pigeon::transport
