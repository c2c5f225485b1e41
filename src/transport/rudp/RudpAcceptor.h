#pragma once

#include "transport/Listener.h"
#include "transport/RudpTransport.h"
#include "transport/rudp/RudpEndpoint.h"
#include "transport/rudp/RudpIoThread.h"
#include "transport/rudp/RudpOptions.h"

#include <Poco/Net/SocketAddress.h>

#include <memory>

namespace pigeon::transport::rudp {

// The rudp Listener: one bound UDP socket, on which it serves many
// connections at once, one per client address, up to
// options.maxConnections. accept() hands out each connection once its
// handshake has completed; every connection handed out keeps working after
// the acceptor is gone (they share the socket and its I/O thread, which go
// with the last of them).
class RudpAcceptor : public Listener {
 public:
  // Binds to `local` (port 0: the kernel picks) and answers handshakes at
  // once. Throws TransportError.
  RudpAcceptor(const Poco::Net::SocketAddress& local, const RudpOptions& options);
  // On `shared`, a bound socket whose reader serves plain UDP and hands
  // rudp's datagrams (isRudpDatagram) to input(); sends on it, never reads it.
  RudpAcceptor(const Poco::Net::DatagramSocket& shared, const RudpOptions& options);

  // One datagram for rudp from the shared socket's reader, read at `nowNs`.
  void input(wire::ByteSpan datagram, const SourceAddress& from, std::int64_t nowNs) {
    io_->input(datagram, from, nowNs);
  }
  // No new connections; those completed but not accepted are dropped.
  ~RudpAcceptor() override;

  std::unique_ptr<Transport> accept(Poco::Timespan timeout) override { return acceptRudp(timeout); }
  std::unique_ptr<RudpTransport> acceptRudp(Poco::Timespan timeout);
  Poco::Net::SocketAddress localAddress() const override { return io_->localAddress(); }

  // What the socket did with datagrams no connection took: handshakes,
  // strangers, and cookies refused because the table was full.
  RudpEndpoint::Counters counters() const;
  std::size_t connectionCount() const;  // held now, accepted or waiting

 private:
  RudpOptions options_;
  std::shared_ptr<RudpIoThread> io_;
};

}  // namespace pigeon::transport::rudp
