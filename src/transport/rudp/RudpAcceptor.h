#pragma once

#include "transport/Listener.h"
#include "transport/RudpTransport.h"
#include "transport/rudp/RudpOptions.h"

#include <Poco/Net/SocketAddress.h>

#include <memory>

namespace pigeon::transport::rudp {

// A bound rudp transport seen as a Listener: accept() hands it out once a
// client's handshake has completed. An rudp transport serves one peer on its
// socket, so the next accept() listens on the same port again once the last
// connection handed out has closed it; until then it finds no one.
class RudpAcceptor : public Listener {
 public:
  // Binds to `local` (port 0: the kernel picks). Throws TransportError.
  RudpAcceptor(const Poco::Net::SocketAddress& local, const RudpOptions& options);

  std::unique_ptr<Transport> accept(Poco::Timespan timeout) override;
  Poco::Net::SocketAddress localAddress() const override { return address_; }
  std::optional<Poco::Net::SocketAddress> wrongProtocolPeer() const override;

 private:
  RudpOptions options_;
  std::unique_ptr<RudpTransport> transport_;
  Poco::Net::SocketAddress address_;
};

}  // namespace pigeon::transport::rudp
