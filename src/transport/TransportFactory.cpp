#include "transport/TransportFactory.h"

#include "transport/RudpTransport.h"
#include "transport/SocketStats.h"
#include "transport/TcpListener.h"
#include "transport/TransportError.h"
#include "transport/UdpListener.h"

#include <Poco/Thread.h>

#include <algorithm>

namespace pigeon::transport {

namespace {

// A bound rudp transport seen as a Listener: accept() hands it out once a
// client's handshake has completed. An rudp transport serves one peer on its
// socket, so the next accept() listens on the same port again once the last
// connection handed out has closed it; until then it finds no one.
class RudpAcceptor : public Listener {
 public:
  RudpAcceptor(const Poco::Net::SocketAddress& local, const rudp::RudpOptions& options)
      : options_(options),
        transport_(RudpTransport::listen(local, options)),
        address_(transport_->localAddress()) {}

  std::unique_ptr<Transport> accept(Poco::Timespan timeout) override {
    if (!transport_) {
      try {
        transport_ = RudpTransport::listen(address_, options_);
      } catch (const TransportError&) {
        // Still held by the last connection: try again soon, so that the
        // port is without a socket for as short a time as possible.
        Poco::Thread::sleep(std::min<long>(1, static_cast<long>(timeout.totalMilliseconds())));
        return nullptr;
      }
    }
    if (!transport_->waitForPeer(timeout)) return nullptr;
    return std::move(transport_);
  }
  Poco::Net::SocketAddress localAddress() const override { return address_; }

 private:
  rudp::RudpOptions options_;
  std::unique_ptr<RudpTransport> transport_;
  Poco::Net::SocketAddress address_;
};

}  // namespace

void applyOptions(Transport& transport, const TransportOptions& options) {
  const int fd = transport.nativeHandle();
  if (fd < 0) return;
  if (options.receiveBufferBytes > 0) enlargeReceiveBuffer(fd, options.receiveBufferBytes);
  if (transport.kind() == TransportKind::kTcp && !options.tcpCongestionControl.empty()) {
    setTcpCongestionControl(fd, options.tcpCongestionControl);
  }
}

std::unique_ptr<Listener> listenOn(TransportKind kind, const Poco::Net::SocketAddress& local,
                                   const TransportOptions& options) {
  switch (kind) {
    case TransportKind::kUdp:
      return std::make_unique<UdpListener>(local);
    case TransportKind::kTcp:
      return std::make_unique<TcpListener>(local, TcpOptions{options.tcpNoDelay});
    case TransportKind::kRudp:
      return std::make_unique<RudpAcceptor>(local, options.rudp);
  }
  throw TransportError(TransportError::Code::kOther, "no such transport kind");
}

std::unique_ptr<Transport> connectTo(TransportKind kind, const Poco::Net::SocketAddress& peer,
                                     const TransportOptions& options, Poco::Timespan timeout) {
  std::unique_ptr<Transport> transport;
  switch (kind) {
    case TransportKind::kUdp:
      transport = UdpTransport::connect(peer);
      break;
    case TransportKind::kTcp:
      transport = TcpTransport::connect(peer, timeout, TcpOptions{options.tcpNoDelay});
      break;
    case TransportKind::kRudp:
      transport = RudpTransport::connect(peer, timeout, options.rudp);
      break;
  }
  if (!transport) throw TransportError(TransportError::Code::kOther, "no such transport kind");
  applyOptions(*transport, options);
  return transport;
}

}  // namespace pigeon::transport
