#include "transport/rudp/RudpAcceptor.h"

#include "transport/TransportError.h"

#include <Poco/Thread.h>

#include <algorithm>

namespace pigeon::transport::rudp {

RudpAcceptor::RudpAcceptor(const Poco::Net::SocketAddress& local, const RudpOptions& options)
    : options_(options),
      transport_(RudpTransport::listen(local, options)),
      address_(transport_->localAddress()) {}

std::optional<Poco::Net::SocketAddress> RudpAcceptor::wrongProtocolPeer() const {
  return transport_ ? transport_->nonRudpSource() : std::nullopt;
}

std::unique_ptr<Transport> RudpAcceptor::accept(Poco::Timespan timeout) {
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

}  // namespace pigeon::transport::rudp
