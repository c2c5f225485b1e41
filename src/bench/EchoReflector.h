#pragma once

#include "bench/EchoAnswer.h"
#include "bench/EchoOptions.h"
#include "bench/EchoSourceCount.h"
#include "bench/EchoTcpServer.h"
#include "bench/SourceTable.h"
#include "bench/TokenBucket.h"
#include "transport/Listener.h"
#include "transport/SourceAddress.h"
#include "transport/rudp/RudpAcceptor.h"

#include "wire/Codec.h"

#include <Poco/Net/DatagramSocket.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

namespace pigeon::bench {

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
  // from one socket; a TCP one every connection on one epoll set
  // (EchoTcpServer); an rudp one each connection on a thread of its own.
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
    EchoProbes probes;
    std::array<SentPlain, 4> sentPlain{};
    std::size_t nextSent = 0;
    bool toldRudpKnock = false;  // its rudp connects (one a second) are told once
  };

  bool isReturningReply(const Peer& peer, wire::ByteSpan datagram, std::int64_t nowNs) const;
  bool takeBudget(const transport::SourceAddress& from, std::int64_t nowNs);  // mutex_ held

  void serveUdp(const std::atomic<bool>& stop);
  void serveRudp(const std::atomic<bool>& stop);  // thread per connection
  void serveConnection(transport::Transport& connection, const std::atomic<bool>& stop);
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
  std::unique_ptr<EchoTcpServer> tcpServer_;               // tcp: the whole of it
  std::unique_ptr<transport::Listener> rudp_;              // rudp
  transport::rudp::RudpAcceptor* rudpListener_ = nullptr;  // rudp_, for its counters
  transport::rudp::RudpAcceptor* rudpOnUdp_ = nullptr;     // udp_'s rudp datagrams go there
  mutable std::mutex mutex_;
  EchoCounters counters_;
  std::int64_t lastRudpNoteNs_ = 0;  // mutex_: when an rudp knock at the udp port was last told
};

}  // namespace pigeon::bench
