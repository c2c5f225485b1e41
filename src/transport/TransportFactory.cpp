#include "transport/TransportFactory.h"

#include "transport/RudpTransport.h"
#include "transport/SocketStats.h"
#include "transport/TcpListener.h"
#include "transport/TransportError.h"
#include "transport/UdpListener.h"
#include "transport/rudp/RudpAcceptor.h"

namespace pigeon::transport {

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
      return std::make_unique<rudp::RudpAcceptor>(local, options.rudp);
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
