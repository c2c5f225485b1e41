#include "transport/TcpListener.h"

#include "transport/Endpoint.h"
#include "transport/SocketErrors.h"

#include <fcntl.h>
#include <sys/socket.h>

namespace pigeon::transport {

TcpListener::TcpListener(const Poco::Net::SocketAddress& local, TcpOptions options)
    : options_(options) {
  try {
    // SO_REUSEADDR (a restart may bind while old connections linger in
    // TIME_WAIT) but never SO_REUSEPORT, which Poco's two-flag overloads also
    // set: with it a second listener would share the port instead of failing.
    if (local.family() == Poco::Net::SocketAddress::IPv6 && local.host().isWildcard()) {
      socket_.bind6(local, /*reuseAddress=*/true, /*reusePort=*/false, /*ipV6Only=*/false);
    } else {
      socket_.bind(local, /*reuseAddress=*/true, /*reusePort=*/false);
    }
    // Room for a burst of connections (an echo serves a thousand at once);
    // the kernel caps it at net.core.somaxconn.
    socket_.listen(1024);
  } catch (const Poco::Exception& e) {
    throw translateSocketError(e, "bind tcp " + formatAddress(local));
  }
}

std::unique_ptr<TcpTransport> TcpListener::acceptTcp(Poco::Timespan timeout) {
  try {
    if (!socket_.poll(timeout, Poco::Net::Socket::SELECT_READ)) return nullptr;
    return std::make_unique<TcpTransport>(socket_.acceptConnection(), options_);
  } catch (const Poco::Exception& e) {
    throw translateSocketError(e, "tcp accept on " + formatAddress(localAddress()));
  }
}

TcpListener::AcceptedSocket TcpListener::acceptSocket() {
  const int listening = nativeHandle();
  if (!nonBlocking_) {
    ::fcntl(listening, F_SETFL, ::fcntl(listening, F_GETFL) | O_NONBLOCK);
    nonBlocking_ = true;
  }
  sockaddr_storage name{};
  socklen_t length = sizeof name;
  AcceptedSocket accepted;
  accepted.fd = ::accept4(listening, reinterpret_cast<sockaddr*>(&name), &length,
                          SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (accepted.fd >= 0) {
    accepted.peer = Poco::Net::SocketAddress(reinterpret_cast<const sockaddr*>(&name), length);
  }
  return accepted;
}

void TcpListener::close() {
  try {
    socket_.close();
  } catch (const Poco::Exception&) {
    // closing twice is harmless
  }
}

}  // namespace pigeon::transport
