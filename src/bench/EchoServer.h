#pragma once

#include "bench/EchoReflector.h"
#include "transport/TransportKind.h"

#include <Poco/Net/SocketAddress.h>
#include <Poco/Thread.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace pigeon::bench {

// The server behind `pigeon echo`: one EchoReflector per transport kind, all
// on one port, each served on its own thread. A subcommand reads options,
// builds one, starts it and prints what it says.
class EchoServer {
 public:
  // Opens a reflector for each of `kinds` (distinct, in that order) at
  // transport::listenWithFallback(bind, port); with port 0 the kernel picks
  // it for the first and the others share it. udp and rudp share the one
  // UDP socket: the udp reflector reads it and hands rudp's datagrams to
  // the rudp one. Throws what a reflector throws (TransportError, a port in use).
  EchoServer(const std::vector<transport::TransportKind>& kinds, const std::string& bind,
             std::uint16_t port, const EchoOptions& options);
  ~EchoServer();  // stop()
  EchoServer(const EchoServer&) = delete;
  EchoServer& operator=(const EchoServer&) = delete;

  // Serves every reflector on a thread of its own, until stop().
  void start();
  // Ends the serving and joins the threads; safe to call twice, or unstarted.
  void stop();

  // The kinds served, in the order given (but udp before rudp, whose socket
  // it reads), and where each listens.
  const std::vector<transport::TransportKind>& kinds() const { return kinds_; }
  Poco::Net::SocketAddress localAddress(transport::TransportKind kind) const;
  // Throws std::out_of_range for a kind not served.
  EchoCounters counters(transport::TransportKind kind) const;

 private:
  const EchoReflector& reflectorFor(transport::TransportKind kind) const;

  std::vector<transport::TransportKind> kinds_;
  std::vector<std::unique_ptr<EchoReflector>> reflectors_;  // one per kinds_ entry
  std::vector<std::unique_ptr<Poco::Thread>> threads_;
  std::atomic<bool> stop_{false};
};

}  // namespace pigeon::bench
