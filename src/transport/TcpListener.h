#pragma once

#include "transport/Listener.h"
#include "transport/TcpTransport.h"

#include <Poco/Net/ServerSocket.h>

#include <memory>

namespace pigeon::transport {

// A listening TCP socket that hands out one TcpTransport per connection.
// An IPv6 wildcard ("::") also accepts IPv4 clients.
class TcpListener : public Listener {
 public:
  // Binds and listens. Throws TransportError (port in use, not an address
  // of this host).
  explicit TcpListener(const Poco::Net::SocketAddress& local, TcpOptions options = {});

  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;

  // The next connection, or nullptr if none came within `timeout`.
  std::unique_ptr<Transport> accept(Poco::Timespan timeout) override { return acceptTcp(timeout); }
  std::unique_ptr<TcpTransport> acceptTcp(Poco::Timespan timeout);

  Poco::Net::SocketAddress localAddress() const override { return socket_.address(); }
  // The listening socket, for a server's own poll set (readable: a connection waits).
  int nativeHandle() const { return socket_.impl()->sockfd(); }

  // For a server that reads its sockets itself (an epoll loop): the next
  // waiting connection as a bare socket, non-blocking and close-on-exec, with
  // its peer; fd -1 when none waits (never blocks: the listener is made
  // non-blocking at the first call) or when out of descriptors. The caller
  // owns and closes the socket.
  struct AcceptedSocket {
    int fd = -1;
    Poco::Net::SocketAddress peer;
  };
  AcceptedSocket acceptSocket();
  void close();

 private:
  Poco::Net::ServerSocket socket_;
  TcpOptions options_;
  bool nonBlocking_ = false;  // acceptSocket() made the listener so
};

}  // namespace pigeon::transport
