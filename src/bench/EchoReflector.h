#pragma once

#include "bench/TokenBucket.h"
#include "metrics/SequenceTracker.h"
#include "transport/Listener.h"

#include <Poco/Net/DatagramSocket.h>
#include "wire/Codec.h"

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace pigeon::bench {

// What a reflector did, for its operator and for tests.
struct EchoCounters {
  std::uint64_t reflected = 0;    // replies sent (probes and plain text)
  std::uint64_t malformed = 0;    // dropped: claimed to be a frame and was not
  std::uint64_t rateLimited = 0;  // dropped: the source sent faster than allowed
  std::uint64_t ignored = 0;      // dropped: frames that are not probes or reports
  std::uint64_t peers = 0;        // sources or connections served
};

struct EchoOptions {
  double maxRatePerSource = 200'000;  // probes a second from one source
  std::size_t maxSources = 1024;      // UDP sources remembered at once
  std::size_t maxConnections = 64;    // TCP connections served at once
};

// The reflector behind `pigeon echo` and behind a local pingpong run. Each
// kEcho probe comes back as a kEchoReply of the same size with the
// reflector's receive time stamped in (EchoStamp.h); a kReport from a peer is
// answered with how many distinct probes it got from that peer, so the
// client can tell outbound loss from return loss. Plain text is echoed as it
// came (RFC 862), so `nc -u` can try it. Replies are never larger than what
// came in, and each source is rate limited.
class EchoReflector {
 public:
  // Binds to `local` (port 0: the kernel picks). Throws TransportError.
  EchoReflector(transport::TransportKind kind, const Poco::Net::SocketAddress& local,
                EchoOptions options = {});
  ~EchoReflector();

  // Serves until `stop` becomes true. A UDP reflector serves every source
  // from one socket; a TCP one serves each connection on its own thread.
  void run(const std::atomic<bool>& stop);

  Poco::Net::SocketAddress localAddress() const;
  EchoCounters counters() const;

 private:
  struct Peer {
    metrics::SequenceTracker probes;
    TokenBucket bucket;
    std::int64_t lastSeenNs;
  };

  void serveUdp(const std::atomic<bool>& stop);
  void serveTcp(const std::atomic<bool>& stop);
  void serveConnection(transport::Transport& connection, const std::atomic<bool>& stop);
  struct Reply {
    wire::Header header;
    wire::Bytes payload;
  };

  // Answers one message from `peer`; the reply to send, if any.
  std::optional<Reply> answer(Peer& peer, const wire::Frame& frame, std::int64_t nowNs);
  Peer& peerFor(const std::string& key, std::int64_t nowNs);  // mutex_ held
  void count(std::uint64_t EchoCounters::*field);

  std::map<std::string, Peer> peers_;  // UDP sources; mutex_ guards

  std::optional<Poco::Net::DatagramSocket> udp_;
  std::unique_ptr<transport::Listener> tcp_;
  EchoOptions options_;
  mutable std::mutex mutex_;
  EchoCounters counters_;
  std::atomic<std::size_t> activeConnections_{0};
};

}  // namespace pigeon::bench
