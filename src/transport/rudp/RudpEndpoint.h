#pragma once

#include "transport/SourceAddress.h"
#include "transport/rudp/CookieMinter.h"
#include "transport/rudp/HandshakeResponder.h"
#include "transport/rudp/RudpConnection.h"
#include "transport/rudp/RudpConnector.h"
#include "transport/rudp/RudpOptions.h"

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

namespace pigeon::transport::rudp {

// Everything one UDP socket's worth of rudp does, with no socket, no thread
// and no clock (sans-I/O): the handshake, the demultiplexing of datagrams by
// their source address, and a bounded table of connections. Datagrams come
// in through input() with where they came from and leave through the
// transmit callback, synchronously, from inside these calls; time is passed
// in, and update() is due by nextTimeoutNs(). Not thread safe.
//
// A listener answers handshakes from anyone (HandshakeResponder keeps no
// state until a cookie checks out) and holds at most options.maxConnections
// connections, one per source address; a valid cookie beyond that is
// refused and counted. A client handshakes with its one peer (RudpConnector)
// and then holds that one connection. Either way an established connection
// waits in a queue until takeEstablished() hands it to its owner, who
// release()s it once done with it; until then it holds its slot.
class RudpEndpoint {
 public:
  using Transmit = std::function<void(wire::ByteSpan datagram, const SourceAddress& to)>;
  using Handle = std::uint64_t;  // names one connection; never reused, never 0

  // Datagrams that no connection took, and handshakes refused.
  struct Counters {
    std::uint64_t datagramsReceived = 0;  // from sources without a connection
    std::uint64_t datagramsSent = 0;      // Challenges, Connects and Cookies
    std::uint64_t corruptDropped = 0;     // of those, CRC-32 mismatches
    std::uint64_t malformedDropped = 0;   // not a valid handshake datagram
    std::uint64_t strangersDropped = 0;   // valid rudp, but no connection here for it
    std::uint64_t refusedFull = 0;        // valid cookies refused: the table was full
    std::uint64_t accepted = 0;           // connections established
  };

  // A listener; `random` gives the initial sequence numbers.
  RudpEndpoint(const RudpOptions& options, const CookieMinter::Secret& secret, Transmit transmit,
               HandshakeResponder::RandomSource random);
  // A client of `peer`. Sends the first Connect at `nowNs`; the handshake
  // fails (connector()->state() kFailed) if not done by `deadlineNs`.
  RudpEndpoint(const RudpOptions& options, const SourceAddress& peer, std::uint32_t connectionId,
               std::uint64_t isn, Transmit transmit, std::int64_t nowNs, std::int64_t deadlineNs);
  RudpEndpoint(const RudpEndpoint&) = delete;
  RudpEndpoint& operator=(const RudpEndpoint&) = delete;

  // One datagram read from the socket.
  void input(wire::ByteSpan datagram, const SourceAddress& from, std::int64_t nowNs);
  // Sends the acks that input made due (call after a batch of input()).
  void flushAcks();
  // Runs the timers due by `nowNs`: the connector's and each connection's.
  void update(std::int64_t nowNs);
  std::int64_t nextTimeoutNs() const;

  // The oldest established connection not yet handed out.
  std::optional<Handle> takeEstablished();
  bool hasEstablished() const { return !established_.empty(); }
  // nullptr once released (or for a handle never given).
  RudpConnection* connection(Handle handle);
  const RudpConnection* connection(Handle handle) const;
  SourceAddress peerOf(Handle handle) const;
  // Forgets the connection: datagrams from its peer go to the handshake again.
  void release(Handle handle);
  // No new connections from now on; those not yet handed out are dropped.
  void stopListening();
  std::size_t connectionCount() const { return connections_.size(); }

  // The connections input(), flushAcks() or update() acted on since the
  // last call, each once: whose owner to wake. Appends to `out`.
  void takeTouched(std::vector<Handle>& out);

  // A client's handshake; nullptr for a listener.
  const RudpConnector* connector() const { return connector_.get(); }
  Counters counters() const;

 private:
  struct Entry {
    SourceAddress peer;
    std::unique_ptr<RudpConnection> connection;
    bool touched = false;
  };

  Handle adopt(const ConnectionParams& params, const SourceAddress& peer, std::int64_t nowNs);
  void inputHandshake(wire::ByteSpan datagram, const SourceAddress& from, std::int64_t nowNs);
  void touch(Handle handle, Entry& entry);
  void countDrop(const InputResult& result);

  RudpOptions options_;
  Transmit transmit_;
  std::optional<HandshakeResponder> responder_;  // a listener
  std::unique_ptr<RudpConnector> connector_;     // a client
  SourceAddress connectorPeer_;
  bool listening_ = false;

  std::unordered_map<Handle, Entry> connections_;
  std::unordered_map<SourceAddress, Handle, SourceAddressHash> bySource_;
  std::deque<Handle> established_;  // not yet taken
  std::vector<Handle> touched_;
  Handle nextHandle_ = 1;
  // The last source seen and its connection: a burst from one peer costs
  // one comparison a datagram, not a hash lookup.
  SourceAddress lastSource_;
  Entry* lastEntry_ = nullptr;
  Handle lastHandle_ = 0;
  Counters counters_;
};

}  // namespace pigeon::transport::rudp
