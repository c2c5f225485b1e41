#pragma once

#include "transport/DatagramBatch.h"
#include "transport/SourceAddress.h"
#include "transport/Transport.h"
#include "transport/TransportError.h"
#include "transport/rudp/RudpEndpoint.h"
#include "transport/rudp/WakeupPipe.h"

#include <Poco/Net/DatagramSocket.h>
#include <Poco/Thread.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

namespace pigeon::transport::rudp {

// The I/O of one rudp socket: a thread that reads the socket (recvmmsg
// through a DatagramBatch), feeds what it reads to its RudpEndpoint, runs
// the endpoint's timers, and wakes the threads waiting on a connection.
// Shared by every connection on the socket (RudpTransport) and by the
// listener that hands them out (RudpAcceptor).
//
// The endpoint, its connections and the Waiters below are guarded by
// mutex(). What the endpoint transmits under it is queued, and sent by
// whichever thread made it once that thread lets the lock go
// (sendQueuedAndUnlock): no thread sends while holding the lock, since on
// loopback a send runs the peer's receive path.
class RudpIoThread {
 public:
  using Handle = RudpEndpoint::Handle;
  using Clock = std::chrono::steady_clock;
  using Lock = std::unique_lock<std::mutex>;
  // Makes the endpoint, given how it transmits.
  using MakeEndpoint = std::function<std::unique_ptr<RudpEndpoint>(RudpEndpoint::Transmit)>;

  // What one connection's owner waits on, all under mutex() but the handler.
  struct Waiters {
    std::condition_variable readable;  // a message is ready, or the state changed
    std::condition_variable writable;  // room in the window, all acknowledged, or a state change
    std::optional<RudpConnection::State> notifiedState;
    std::optional<TransportError> broken;  // the socket said the peer is gone
    std::vector<AckedMessage> acked;       // to hand to the handler, outside mutex()
    std::mutex handlerMutex;               // taken before mutex(), never after
    Transport::AckedHandler handler;       // handlerMutex
  };
  struct Accepted {
    Handle handle = 0;
    std::shared_ptr<Waiters> waiters;
    Poco::Net::SocketAddress peer;
    ConnectionParams params;
  };

  // Whether the thread reads the socket itself, or another reader of a
  // socket shared with plain UDP hands it rudp's datagrams (input()).
  enum class Reading { kOwnSocket, kHandedIn };

  // Takes the socket (bound; a client's connected to its peer) and asks for
  // `socketBufferBytes` of kernel buffer. start() runs the thread.
  RudpIoThread(Poco::Net::DatagramSocket socket, const RudpOptions& options,
               const MakeEndpoint& makeEndpoint, Reading reading = Reading::kOwnSocket);
  ~RudpIoThread();  // stop(), then closes the socket if it reads it

  // Reading::kHandedIn: one datagram its reader took for rudp's
  // (isRudpDatagram), from `from`, read at `nowNs`. mutex() NOT held.
  void input(wire::ByteSpan datagram, const SourceAddress& from, std::int64_t nowNs);
  RudpIoThread(const RudpIoThread&) = delete;
  RudpIoThread& operator=(const RudpIoThread&) = delete;

  void start();
  // Ends and joins the thread; idempotent. Connections stay as they are.
  void stop();

  std::mutex& mutex() { return mutex_; }
  RudpEndpoint& endpoint() { return *endpoint_; }  // mutex() held
  Poco::Net::SocketAddress localAddress() const { return local_; }

  // The next established connection, attached to Waiters of its own; none
  // by `deadline`, or once the handshake failed (a client) or stopListening().
  std::optional<Accepted> accept(Clock::time_point deadline);
  // Why the socket failed (a client's peer unreachable, poll failed). mutex() held.
  std::optional<TransportError> connectFailure() const;
  // Lets a connection go: no more wake-ups for it, and the endpoint forgets
  // it. mutex() held.
  void detach(Handle handle);
  // No new connections; those waiting to be accepted are dropped.
  void stopListening();

  // mutex() held: the I/O thread re-arms its wait when `atNs` is sooner than planned.
  void wakeIfSooner(std::int64_t atNs);
  // mutex() held on entry, released on return: sends what was queued.
  void sendQueuedAndUnlock(Lock& lock);
  // Hands `waiters`' acknowledged messages to its handler. mutex() NOT held.
  static void dispatchAcked(Waiters& waiters, std::mutex& mutex);
  static void notifyAll(Waiters& waiters);

 private:
  struct Outbox {
    std::vector<wire::Bytes> datagrams;
    std::vector<SourceAddress> to;
    std::size_t used = 0;
  };

  void run();
  void readDatagrams();
  void queue(wire::ByteSpan datagram, const SourceAddress& to);
  void unreachable();  // an ICMP port unreachable came back
  // mutex() held: wakes the owners of what the endpoint touched; collects
  // the Waiters with acknowledgements to hand over.
  void wakeOwners(std::vector<std::shared_ptr<Waiters>>& withAcked);
  void dispatch(std::vector<std::shared_ptr<Waiters>>& withAcked);

  Poco::Net::DatagramSocket socket_;
  Poco::Net::SocketAddress local_;
  Reading reading_;
  Outbox outbox_;  // mutex_
  std::unique_ptr<RudpEndpoint> endpoint_;
  WakeupPipe wakeup_;
  std::mutex mutex_;
  std::condition_variable established_;  // a connection to accept, or the handshake failed
  std::unordered_map<Handle, std::shared_ptr<Waiters>> attached_;
  std::vector<Handle> touched_;           // I/O thread scratch
  std::optional<TransportError> failed_;  // poll failed, or a client's peer is unreachable
  bool stopping_ = false;
  std::int64_t plannedWakeNs_ = kNever;
  static constexpr std::size_t kReceiveSlots = 16;  // one recvmmsg reads up to this many
  DatagramBatch received_;
  Poco::Thread thread_{"rudp-io"};
  bool joined_ = false;
};

}  // namespace pigeon::transport::rudp
