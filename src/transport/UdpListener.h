#pragma once

#include "transport/Listener.h"
#include "transport/UdpTransport.h"

namespace pigeon::transport {

// A bound UDP socket seen as a Listener: accept() hands out its one
// UdpTransport at once, whose peer is whoever speaks first.
class UdpListener : public Listener {
 public:
  explicit UdpListener(const Poco::Net::SocketAddress& local)
      : transport_(UdpTransport::listen(local)), address_(transport_->localAddress()) {}

  std::unique_ptr<Transport> accept(Poco::Timespan) override { return std::move(transport_); }
  Poco::Net::SocketAddress localAddress() const override { return address_; }
  bool acceptsWithoutWaiting() const override { return true; }

 private:
  std::unique_ptr<UdpTransport> transport_;
  Poco::Net::SocketAddress address_;
};

}  // namespace pigeon::transport
