#pragma once

#include "filexfer/FileOffer.h"
#include "transport/Transport.h"
#include "transport/rudp/RudpOptions.h"

#include <Poco/Timespan.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace pigeon::filexfer {

// What `pigeon send` asks for.
struct SendOptions {
  std::size_t chunkBytes = 0;     // 0: kDefaultChunkBytes, capped at the transport's maxPayload()
  double rateBytesPerSecond = 0;  // 0: as fast as the transport takes them
  Poco::Timespan verdictTimeout = Poco::Timespan(10, 0);
  // Called now and then with the bytes sent so far and the file's size.
  std::function<void(std::uint64_t sentBytes, std::uint64_t totalBytes)> progress;
  // Non-zero (a signal's number) once the user asked to stop: sending ends
  // before the next chunk, and the result says interrupted.
  const std::atomic<int>* interrupted = nullptr;
};

inline constexpr std::size_t kDefaultChunkBytes = 32 * 1024;

// rudp has a window but no congestion control, so a file is sent with no
// more in flight than the receiver's socket is sure to hold: half of it.
// rudp asks for a 4 MiB socket buffer and the kernel grants at most
// net.core.rmem_max, doubled, so the window is rmem_max bytes (read on the
// sending host: on loopback the same kernel, elsewhere a guess), between
// these two. At 128 KiB (4 chunks of 32 KiB, the window before) a transfer
// on loopback waited on round trips; 2 MiB fits the 8 MiB that a
// `pigeon link` relay's sockets get (4 MiB asked, doubled). --window sets
// another.
inline constexpr std::size_t kRudpMinBytesInFlight = 128 * 1024;
inline constexpr std::size_t kRudpMaxBytesInFlight = 2 * 1024 * 1024;
// With a small window a lost resend stalls the window until the RTO:
// rudp's 200 ms floor (Linux TCP's) would make each stall cost 200 ms on a
// loopback or LAN path. RTO = SRTT + 4 RTTVAR still rules on a slower path.
inline constexpr std::int64_t kFileMinRtoMs = 2;

// The bytes a file keeps in flight over rudp, given net.core.rmem_max
// (nullopt where it cannot be read).
std::size_t rudpBytesInFlight(std::optional<std::size_t> receiveBufferCeilingBytes);

// The rudp options for sending a file in `chunkBytes` chunks: the window
// from rudpBytesInFlight (at least 1 chunk, at most rudp's 1,024) unless
// `windowChunks` is given, and the RTO floor above; the ARQ scheme as given.
transport::rudp::RudpOptions rudpOptionsForFile(
    std::size_t chunkBytes, std::optional<std::uint32_t> windowChunks,
    transport::rudp::ArqScheme arq, std::optional<std::size_t> receiveBufferCeilingBytes);

struct SendResult {
  FileOffer offer;           // its sha256 the digest sent in the trailer
  bool interrupted = false;  // SendOptions::interrupted stopped it
  bool allSent = false;      // every chunk and the end marker went before it was
  std::uint64_t chunksSent = 0;
  double seconds = 0;              // from the offer to the verdict (or giving up)
  std::optional<Verdict> verdict;  // nullopt: the receiver never said
  Reason reason = Reason::kNone;   // for a refusal or a failed write
};

// Sends one file over `transport`: offer, chunks (hashed as they are read),
// the digest trailer, end marker, then waits for the receiver's verdict.
// Where the transport may lose messages (traits().reliable false) the offer
// carries the digest instead of a trailer, and it and the end marker go
// three times, so one lost datagram does not lose the whole report. Throws
// std::runtime_error for a file it cannot read, TransportError for the
// network.
class FileSender {
 public:
  explicit FileSender(SendOptions options) : options_(std::move(options)) {}

  SendResult send(transport::Transport& transport, const std::string& path);

 private:
  void sendFile(transport::Transport& transport, const std::string& path, SendResult& result);
  double secondsSinceOffer() const;
  std::optional<ReceiverReport> pollVerdict(transport::Transport& transport,
                                            Poco::Timespan timeout);

  SendOptions options_;
  std::chrono::steady_clock::time_point start_;  // the offer's
};

}  // namespace pigeon::filexfer
