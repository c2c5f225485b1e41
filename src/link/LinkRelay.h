#pragma once

#include "link/DelayQueue.h"
#include "link/ImpairmentModel.h"
#include "link/LinkSpec.h"
#include "link/OfferOrder.h"
#include "link/RelayOutbox.h"
#include "link/WakePlanner.h"
#include "transport/DatagramBatch.h"
#include "transport/SourceAddress.h"

#include <Poco/Net/DatagramSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/RunnableAdapter.h>
#include <Poco/Thread.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pigeon::link {

// What a relay did in one direction. The totals count every datagram; the
// `control*` ones count, among them, pigeon control frames (a session's
// hello and bye, a bench's final count, rudp's handshake, acknowledgements
// and close), so what happened to messages (data: everything else, plain
// peers' datagrams too) is the total less the control part.
struct RelayCounters {
  std::uint64_t received = 0;    // datagrams read and given to the model
  std::uint64_t sent = 0;        // copies written to the socket
  std::uint64_t sendErrors = 0;  // copies the socket refused (buffer full, an error at once)
  std::uint64_t overflow = 0;    // copies dropped: the relay's own backlog was full
  std::uint64_t ignored = 0;     // datagrams from a source other than the client
  // Up only: ICMP errors (port unreachable) about copies sent earlier, of
  // whatever kind: the target was not listening, e.g. after it closed.
  std::uint64_t unreachable = 0;
  // Copies that left after one that came in later (RFC 4737 on the relay's
  // output, as a bench counts it): jitter's swaps and overtaken holds.
  std::uint64_t reordered = 0;
  ImpairmentCounters model;
  std::uint64_t controlReceived = 0;    // of `received`
  std::uint64_t controlDropped = 0;     // of model.dropped()
  std::uint64_t controlOverflow = 0;    // of `overflow`
  std::uint64_t controlSendErrors = 0;  // of the copies in `sendErrors` the relay sent

  // Data copies the model dropped, and those the relay itself dropped.
  std::uint64_t dataDropped() const { return model.dropped() - controlDropped; }
  std::uint64_t dataOverflow() const {
    return overflow + sendErrors - controlOverflow - controlSendErrors;
  }
};

// A UDP relay that applies a LinkSpec: it listens on one socket, takes the
// first source that sends to it as the client, and forwards the client's
// datagrams (up) through a socket connected to the target; the target's
// replies (down) go back to the client. Datagrams from other sources are
// ignored. A thread inside reads both sockets in batches (recvmmsg, through
// transport's DatagramBatch, with the kernel's arrival stamp of each), runs
// each datagram through its direction's ImpairmentModel (up: stream 0, down:
// stream 1) at the time it arrived, keeps the copies in a DelayQueue and
// sends them in batches (sendmmsg, RelayOutbox) when they are due. It sleeps
// in one ppoll(2) until the next copy is due, to the nanosecond and with its
// timer slack at 1 ns; while traffic flows through a delaying direction it
// does not wake for each arrival but reads what came at the next wake
// (WakePlanner), so it wakes about once per copy instead of twice, and never
// sends a copy before it is due. Copies still waiting at stop() are
// dropped. Errors never escape the thread: a failure stops it and is kept
// for error().
//
//   LinkRelay relay(LinkSpec::parse("loss=5%"), {"127.0.0.1", 0}, target);
//   relay.start();  ... send to 127.0.0.1:relay.port() ...  relay.stop();
//
// Non-copyable. The queries are thread safe; start()/stop() are meant to be
// called from one thread.
class LinkRelay {
 public:
  // Binds a socket to `listen` (port 0: the kernel picks; an IPv6 wildcard
  // also accepts IPv4, transport's one dual-stack rule) and connects another
  // to `target`. Throws transport::TransportError if either fails,
  // LinkSpecError for a bad text SPEC.
  LinkRelay(const LinkSpec& spec, const Poco::Net::SocketAddress& listen,
            const Poco::Net::SocketAddress& target);
  LinkRelay(std::string_view spec, const Poco::Net::SocketAddress& listen,
            const Poco::Net::SocketAddress& target);
  ~LinkRelay();  // stops

  LinkRelay(const LinkRelay&) = delete;
  LinkRelay& operator=(const LinkRelay&) = delete;

  // Starts the thread. Throws std::logic_error if started before.
  void start();
  // Asks the thread to end, joins it (within tens of milliseconds) and
  // closes the sockets. Idempotent; never throws.
  void stop() noexcept;
  // The same, but the sockets stay open (unread), so that what only the
  // kernel knows about them (their receive buffers' drops) can still be
  // read, complete: nothing is forwarded any more. stop() or the destructor
  // closes them. Idempotent; never throws.
  void stopForwarding() noexcept;

  // True from start() until stop() or a failure ends the thread.
  bool running() const { return running_.load(); }
  // Whether the thread runs at a real-time priority (link's
  // raiseToTimingPriority: root, or an RLIMIT_RTPRIO), which keeps copies on
  // time on a busy machine. Known once the thread has started its loop.
  bool realtime() const { return realtime_.load(); }
  // Why the thread ended early; empty if it did not.
  std::string error() const;

  std::uint16_t port() const { return address_.port(); }

  // The file descriptors of the socket facing the client and of the one
  // facing the target, for what only the kernel can tell about them (how
  // many datagrams their receive buffers dropped) and to size those buffers.
  // -1 after stop(): read them after stopForwarding().
  int clientSocketHandle() const { return clientSocket_.impl()->sockfd(); }
  int targetSocketHandle() const { return targetSocket_.impl()->sockfd(); }
  Poco::Net::SocketAddress address() const { return address_; }
  Poco::Net::SocketAddress target() const { return target_; }
  std::optional<Poco::Net::SocketAddress> client() const;

  RelayCounters upCounters() const;    // client -> target
  RelayCounters downCounters() const;  // target -> client
  const LinkSpec& spec() const { return spec_; }

 private:
  struct Direction {
    ImpairmentModel model;
    RelayCounters counters;
    OfferOrder leftInOrder;  // the relay thread's own
  };

  void run();
  void loop();
  // One turn of reading a socket: a few batches, so that a flood on one
  // side cannot starve the other side or the sending of due copies.
  // Returns the datagrams read.
  std::size_t readFromClient();
  std::size_t readFromTarget();
  void admit(bool up, wire::ByteSpan datagram, std::int64_t arrivalNs);
  // Sends every copy due by `untilNs`, in batches per direction.
  void sendDue(std::int64_t untilNs);
  void flush(bool up);

  const LinkSpec spec_;
  Poco::Net::DatagramSocket clientSocket_;
  Poco::Net::DatagramSocket targetSocket_;
  Poco::Net::SocketAddress address_;
  Poco::Net::SocketAddress target_;

  mutable std::mutex mutex_;  // guards the members below it
  Direction up_;
  Direction down_;
  std::optional<Poco::Net::SocketAddress> client_;
  std::string error_;

  // Used by the relay thread only.
  transport::SourceAddress clientName_;  // empty until the client is known
  transport::DatagramBatch batch_;       // each read, either socket
  DelayQueue queue_;
  std::vector<Delivery> deliveries_;
  WakePlanner planner_;
  RelayOutbox upOut_;    // due copies to the target
  RelayOutbox downOut_;  // due copies to the client

  Poco::RunnableAdapter<LinkRelay> runnable_;
  Poco::Thread thread_;
  std::atomic<bool> started_{false};
  bool joined_ = false;  // used by start()/stop() only
  std::atomic<bool> stopRequested_{false};
  std::atomic<bool> running_{false};
  std::atomic<bool> realtime_{false};
};

}  // namespace pigeon::link
