#pragma once

#include <cstddef>
#include <cstdint>

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
  // EchoReflector::kRudpWindowMessages messages each way. A connection that sends no
  // probe for idleTimeoutNs is closed, keepalives or not.
  std::size_t maxRudpConnections = 128;
};

}  // namespace pigeon::bench
