#pragma once

#include "bench/EchoOptions.h"
#include "transport/EventSet.h"
#include "transport/TcpListener.h"
#include "wire/Bytes.h"

#include <Poco/Net/SocketAddress.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace pigeon::bench {

// The TCP echo: every connection on one epoll set (transport::EventSet),
// served by the thread that calls run(), so a thousand idle connections
// cost nothing per turn and a reply leaves as soon as its request is read.
// A connection whose first bytes start like a pigeon frame gets its probes
// and reports answered (EchoAnswer.h); anything else is plain text, echoed
// as it came (or stamped per line, EchoOptions::stampLines). Sends never
// block: what the kernel does not take waits in a bounded queue per
// connection, and while it is full that connection is not read. Caps on
// connections in all and per address refuse the newest; idle and stalled
// connections are closed (docs/echo.md).
class EchoTcpServer {
 public:
  // Binds and listens at `local` (port 0: the kernel picks). Throws
  // TransportError.
  EchoTcpServer(const Poco::Net::SocketAddress& local, const EchoOptions& options);
  ~EchoTcpServer();
  EchoTcpServer(const EchoTcpServer&) = delete;
  EchoTcpServer& operator=(const EchoTcpServer&) = delete;

  // Serves until `stop` becomes true (looked at every 10 ms at least),
  // then closes every connection.
  void run(const std::atomic<bool>& stop);

  Poco::Net::SocketAddress localAddress() const { return listener_.localAddress(); }
  // As of the end of run()'s last turn; safe from any thread.
  EchoCounters counters() const;

 private:
  struct Client;

  void acceptWaiting(std::int64_t nowNs);
  bool admit(const std::string& source, const Poco::Net::SocketAddress& peer, std::int64_t nowNs);
  void readFrom(Client& c, std::int64_t nowNs);
  void take(Client& c, wire::ByteSpan chunk, std::int64_t nowNs);
  void takePlain(Client& c, wire::ByteSpan bytes);
  void endInput(Client& c);
  void flush(Client& c);
  void watch(Client& c);  // the events c wants now, told to the set when they change
  void sweep(std::int64_t nowNs);
  void markClosing(Client& c);
  void closeMarked();
  void publish();

  EchoOptions options_;
  transport::TcpListener listener_;
  transport::EventSet events_;
  std::unordered_map<std::uint64_t, std::unique_ptr<Client>> clients_;  // by epoll tag
  std::unordered_map<std::string, std::size_t> perSource_;  // connections per address (/64)
  std::vector<std::uint64_t> closing_;                      // closed at the end of the turn
  std::vector<std::uint8_t> buffer_;                        // one read buffer for every connection
  std::uint64_t nextTag_ = 1;                               // 0 is the listener's
  std::int64_t lastRefusalLogNs_ = 0;
  EchoCounters counts_;  // the serving thread's own
  mutable std::mutex mutex_;
  EchoCounters published_;  // mutex_
};

}  // namespace pigeon::bench
