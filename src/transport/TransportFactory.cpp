#include "transport/TransportFactory.h"

#include "transport/RudpTransport.h"
#include "transport/SocketStats.h"
#include "transport/TcpListener.h"
#include "transport/TransportError.h"
#include "transport/UdpListener.h"

#include <Poco/Thread.h>

#include <algorithm>

namespace pigeon::transport {

const std::vector<std::string>& transportNames() {
  static const std::vector<std::string> names = {"udp", "tcp", "rudp"};
  return names;
}

bool isTransportName(const std::string& name) {
  const auto& names = transportNames();
  return std::find(names.begin(), names.end(), name) != names.end();
}

namespace {

[[noreturn]] void unknown(const std::string& name) {
  throw TransportError(TransportError::Code::kBadAddress, "unknown transport '" + name + "'");
}

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
  if (transport.name() == "tcp" && !options.tcpCongestionControl.empty()) {
    setTcpCongestionControl(fd, options.tcpCongestionControl);
  }
}

std::unique_ptr<Listener> listenOn(const std::string& name, const Poco::Net::SocketAddress& local,
                                   const TransportOptions& options) {
  if (name == "udp") return std::make_unique<UdpListener>(local);
  if (name == "tcp") return std::make_unique<TcpListener>(local, TcpOptions{options.tcpNoDelay});
  if (name == "rudp") return std::make_unique<RudpAcceptor>(local, options.rudp);
  unknown(name);
}

std::unique_ptr<Transport> connectTo(const std::string& name, const Poco::Net::SocketAddress& peer,
                                     const TransportOptions& options, Poco::Timespan timeout) {
  std::unique_ptr<Transport> transport;
  if (name == "udp") {
    transport = UdpTransport::connect(peer);
  } else if (name == "tcp") {
    transport = TcpTransport::connect(peer, timeout, TcpOptions{options.tcpNoDelay});
  } else if (name == "rudp") {
    transport = RudpTransport::connect(peer, timeout, options.rudp);
  } else {
    unknown(name);
  }
  applyOptions(*transport, options);
  return transport;
}

}  // namespace pigeon::transport
