#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace pigeon::transport::rudp {

// How the sender recovers losses and how the receiver takes what arrives
// out of order (docs/rudp.md, "ARQ schemes").
enum class ArqScheme : std::uint8_t {
  kStopAndWait = 1,      // one message in flight; the receiver takes only the next one
  kGoBackN = 2,          // a window in flight; a loss resends the window from it on
  kSelectiveRepeat = 3,  // a window in flight; only what is lost is resent (default)
};

// Whether the receiver hands messages up in sequence order (holding back
// what comes after a gap, like TCP) or as they arrive (exactly once, no
// head-of-line blocking). Stop-and-wait and go-back-n are always in order.
enum class DeliveryMode : std::uint8_t {
  kOrdered = 1,
  kUnordered = 2,
};

// "stop-and-wait", "go-back-n", "selective-repeat"; "ordered", "unordered".
std::string_view arqSchemeName(ArqScheme scheme);
std::string_view deliveryModeName(DeliveryMode mode);
std::optional<ArqScheme> parseArqScheme(std::string_view text);
std::optional<DeliveryMode> parseDeliveryMode(std::string_view text);

// The wire values of the enums above, checked before a cast.
bool isArqScheme(std::uint8_t value);
bool isDeliveryMode(std::uint8_t value);

// Everything tunable about one rudp endpoint. Plain value; the defaults are
// what `pigeon` uses.
struct RudpOptions {
  ArqScheme arq = ArqScheme::kSelectiveRepeat;
  DeliveryMode delivery = DeliveryMode::kOrdered;
  // A listener takes the ARQ scheme and delivery mode the client asks for
  // (so `echo` serves whatever `bench` measures); false: it keeps its own,
  // and the client adopts them from the Accept.
  bool listenerFollowsClient = true;

  std::uint32_t sendWindowMessages = 1024;     // most messages in flight (stop-and-wait: 1)
  std::uint32_t receiveWindowMessages = 1024;  // most messages held for the application

  // Retransmission timer, RFC 6298.
  std::int64_t initialRtoMs = 1000;     // before the first RTT sample (RFC 6298: 1 s)
  std::int64_t minRtoMs = 200;          // floor (RFC 6298 says 1 s; Linux TCP uses 200 ms)
  std::int64_t maxRtoMs = 60'000;       // ceiling for backoff (RFC 6298: at least 60 s)
  std::int64_t clockGranularityMs = 1;  // G in RTO = SRTT + max(G, 4 * RTTVAR)

  // Fast retransmit: a message is lost once a transmission sent this many
  // transmissions after it has been acknowledged (RFC 9002 kPacketThreshold).
  std::uint32_t reorderThresholdPackets = 3;
  // When an ack proves a fast retransmission spurious (the network
  // reordered, it did not lose), raise the threshold to the reordering seen,
  // up to maxReorderThresholdPackets (as Linux TCP does; RFC 9002 6.1.1
  // allows it). false: the threshold stays fixed, as a lab may want.
  bool adaptiveReordering = true;
  std::uint32_t maxReorderThresholdPackets = 64;

  std::int64_t keepaliveIntervalMs = 1000;  // ask a silent peer to answer after this
  std::int64_t idleTimeoutMs = 10'000;      // give the connection up after this much silence
  std::int64_t closeTimeoutMs = 2000;       // wait this long for the close to be acknowledged
  std::int64_t cookieLifetimeMs = 10'000;   // a cookie is good for 1 to 2 of these
  std::int64_t sendTimeoutMs = 10'000;      // sendMessage blocks at most this long (window full)

  // Connections a listener holds at once on its socket, one per source
  // address, accepted or waiting to be; a valid cookie beyond them is
  // refused (counted in RudpEndpoint's refused_full).
  std::size_t maxConnections = 1024;

  // SO_RCVBUF / SO_SNDBUF asked of the kernel (which caps them at
  // net.core.rmem_max / wmem_max): a window of datagrams must fit, or the
  // socket drops what the link delivered. 0: the kernel's default.
  int socketBufferBytes = 4 << 20;
};

inline constexpr std::int64_t kNsPerMs = 1'000'000;
inline constexpr std::int64_t kNever = INT64_MAX;  // a timer that is not running

}  // namespace pigeon::transport::rudp
