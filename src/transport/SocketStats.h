#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace pigeon::transport {

// What the kernel can say about one socket, by its file descriptor. Each
// returns nullopt where this kernel cannot say it.

// Datagrams dropped at the socket's receive buffer (SO_MEMINFO drops, the
// same counter SO_RXQ_OVFL reports per message): not lost on the link, lost
// because the receiver did not read fast enough.
std::optional<std::uint64_t> socketDrops(int fd);

// TCP segments retransmitted over the connection's life (TCP_INFO).
std::optional<std::uint64_t> tcpRetransmits(int fd);

// The connection's congestion control algorithm (TCP_CONGESTION).
std::optional<std::string> tcpCongestionControl(int fd);

// Sets the congestion control; throws TransportError naming the algorithm
// and what the kernel allows (net.ipv4.tcp_allowed_congestion_control).
void setTcpCongestionControl(int fd, const std::string& name);

// The same check on a socket of its own, before any connection is made, so
// a misspelt name is a usage error and not a failed run.
void checkTcpCongestionControl(const std::string& name);

// Asks for a receive buffer of `bytes`, beyond rmem_max when privileged.
void enlargeReceiveBuffer(int fd, int bytes);

// net.core.rmem_max: the most SO_RCVBUF grants (the kernel doubles it for
// its own bookkeeping); nullopt where /proc does not say.
std::optional<std::size_t> receiveBufferCeilingBytes();

}  // namespace pigeon::transport
