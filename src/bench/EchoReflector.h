#pragma once

#include "bench/EchoSourceCount.h"
#include "bench/EchoStamp.h"
#include "bench/SourceTable.h"
#include "bench/TokenBucket.h"
#include "metrics/SequenceTracker.h"
#include "transport/Listener.h"
#include "transport/SourceAddress.h"
#include "transport/TcpListener.h"
#include "transport/rudp/RudpAcceptor.h"

#include "wire/Codec.h"

#include <Poco/Net/DatagramSocket.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace pigeon::bench {

// What a reflector did, for its operator and for tests.
struct EchoCounters {
  std::uint64_t reflected = 0;    // replies sent (probes and plain text)
  std::uint64_t malformed = 0;    // dropped: claimed to be a frame and was not
  std::uint64_t rateLimited = 0;  // dropped: over the source's or the global reply budget
  std::uint64_t ignored = 0;      // dropped: frames that are not probes or reports
  // UDP: distinct sources (address and port) heard from; TCP and rudp:
  // connections served. UDP sources are told apart exactly up to
  // EchoOptions::maxCountedSources (EchoSourceCount.h); past that `peers`
  // stays there and peersAtLeast says it is a lower bound.
  std::uint64_t peers = 0;
  bool peersAtLeast = false;
  std::uint64_t refused = 0;        // dropped: UDP from a server port (below 1024)
  std::uint64_t looped = 0;         // dropped: a reply coming back (a reflection loop)
  std::uint64_t closedIdle = 0;     // TCP connections closed after the idle timeout
  std::uint64_t closedStalled = 0;  // TCP connections closed: their replies were never read
};

struct EchoOptions {
  double maxRatePerSource = 200'000;  // replies a second to one address (IPv6: one /64)
  double maxRateTotal = 1'000'000;    // replies a second to all sources together
  std::size_t maxSources = 1024;      // UDP sources (and addresses) remembered at once
  // UDP sources told apart for `peers`, 8 bytes each (at most 4 MiB in all).
  std::size_t maxCountedSources = 262'144;
  std::size_t maxConnections = 1024;  // TCP connections served at once (full: refuse the newest)
  std::size_t maxConnectionsPerSource = 100;       // TCP connections from one address (IPv6: /64)
  std::int64_t idleTimeoutNs = 60'000'000'000;     // a TCP connection silent this long is closed
  std::size_t maxQueuedBytes = 256 * 1024;         // unsent replies held per TCP connection
  std::int64_t stalledTimeoutNs = 10'000'000'000;  // a connection whose queue stays full: closed
  // TCP plain text: each line answered with the time it came, as the
  // tutorial's server does ("[Tue Dec  1 10:00:00 2026] hello"). Not for
  // UDP, where the reply would be larger than the request.
  bool stampLines = false;
  // rudp: connections served at once on the one socket, each on a thread of
  // its own (full: the newest gets no Accept); each holds at most
  // kRudpWindowMessages messages each way. A connection that sends no
  // probe for idleTimeoutNs is closed, keepalives or not.
  std::size_t maxRudpConnections = 128;
};

// The reflector behind `pigeon echo` and behind a local pingpong run. Each
// kEcho probe comes back as a kEchoReply of the same size with the
// reflector's receive time stamped in (EchoStamp.h); a kReport from a peer is
// answered with how many distinct probes it got from that peer, so the
// client can tell outbound loss from return loss. Plain text is echoed as it
// came (RFC 862), so `nc -u` can try it. Replies are never larger than what
// came in, and each source address is rate limited, besides a budget for
// all replies together.
//
// Loops between two reflectors (a spoofed datagram "from" another echo)
// die out at once: every framed reply carries flags::kReply and a frame
// with it is never answered; a plain datagram equal to the one just sent to
// that same source (within kLoopWindowNs) is taken for that source echoing
// it back and dropped; UDP from ports below 1024 is refused (docs/echo.md).
class EchoReflector {
 public:
  // Binds to `local` (port 0: the kernel picks). Throws TransportError.
  EchoReflector(transport::TransportKind kind, const Poco::Net::SocketAddress& local,
                EchoOptions options = {});
  // An rudp reflector on the UDP socket of `udp`, a UDP reflector, which from
  // then on hands it every rudp datagram it reads (transport::rudp::
  // isRudpDatagram) and serves the rest itself: both on one port. `udp`
  // must not run longer than this one lives.
  EchoReflector(EchoReflector& udp, EchoOptions options = {});
  ~EchoReflector();

  // Serves until `stop` becomes true. A UDP reflector serves every source
  // from one socket; a TCP one serves each connection on its own thread.
  void run(const std::atomic<bool>& stop);

  Poco::Net::SocketAddress localAddress() const;
  EchoCounters counters() const;
  // UDP sources (address and port) whose state is held now; at most maxSources.
  std::size_t sourcesHeld() const;

  // How long a plain reply is remembered to recognise it coming back.
  static constexpr std::int64_t kLoopWindowNs = 1'000'000'000;
  // An rudp connection's send and receive windows, in messages.
  static constexpr std::uint32_t kRudpWindowMessages = 128;

 private:
  // A plain reply sent to a source, by checksum, to know it if it returns.
  struct SentPlain {
    std::uint32_t crc = 0;
    std::size_t size = 0;
    std::int64_t atNs = 0;
  };
  struct Peer {
    metrics::SequenceTracker probes;
    SeenWindow seen;  // for the replies' seenBelow (EchoStamp.h)
    std::array<SentPlain, 4> sentPlain{};
    std::size_t nextSent = 0;
  };

  bool isReturningReply(const Peer& peer, wire::ByteSpan datagram, std::int64_t nowNs) const;
  bool takeBudget(const transport::SourceAddress& from, std::int64_t nowNs);  // mutex_ held

  void serveUdp(const std::atomic<bool>& stop);
  void serveRudp(const std::atomic<bool>& stop);       // thread per connection
  void serveTcpEvents(const std::atomic<bool>& stop);  // one poll set (tcp)
  void serveConnection(transport::Transport& connection, const std::atomic<bool>& stop);
  struct Reply {
    wire::Header header;
    wire::Bytes payload;
  };

  // Answers one message from `peer`; the reply to send, if any.
  std::optional<Reply> answer(Peer& peer, const wire::Frame& frame, std::int64_t nowNs);
  Peer& peerFor(const transport::SourceAddress& from);  // mutex_ held
  // One datagram from `from`: the reply to send into `reply`, or false.
  bool answerDatagram(const transport::SourceAddress& from, wire::ByteSpan datagram,
                      std::int64_t nowNs, wire::Bytes& reply);  // mutex_ held
  void count(std::uint64_t EchoCounters::*field);
  void countReplies(std::uint64_t replies);

  EchoOptions options_;
  // UDP state, all guarded by mutex_: per source socket (probe counts, recent
  // plain replies), per address or /64 (rate limit), and for all (budget).
  SourceTable<Peer> peers_;
  EchoSourceCount distinctSources_;  // counters_.peers, which peers_ cannot tell
  SourceTable<TokenBucket> limits_;
  TokenBucket total_;

  std::optional<Poco::Net::DatagramSocket> udp_;
  std::unique_ptr<transport::Listener> tcp_;       // tcp or rudp
  transport::TcpListener* tcpListener_ = nullptr;  // tcp_ when it is tcp: its socket is polled
  transport::rudp::RudpAcceptor* rudpListener_ = nullptr;  // tcp_ when it is rudp
  transport::rudp::RudpAcceptor* rudpOnUdp_ = nullptr;     // udp_'s rudp datagrams go there
  mutable std::mutex mutex_;
  EchoCounters counters_;
  std::atomic<std::size_t> activeConnections_{0};
  std::int64_t lastRudpNoteNs_ = 0;  // mutex_: when an rudp knock at the udp port was last told
};

}  // namespace pigeon::bench
