#pragma once

#include "bench/BenchSettings.h"
#include "bench/EchoStamp.h"
#include "bench/MessageLog.h"
#include "bench/ProbeTimeout.h"
#include "metrics/LatencyHistogram.h"
#include "metrics/StreamStats.h"
#include "transport/Transport.h"

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace pigeon::bench {

// The client side of an echo run: kEcho probes to a reflector, each timed
// when its reply comes back.
//
// Any echo that returns the bytes unchanged (RFC 862) gives round trips;
// a `pigeon echo` answers with a kEchoReply carrying its own stamps
// (EchoStamp.h), which give the one-way split: the outbound delay, the
// return delay, the echo's processing time (subtracted from each round
// trip), its count of probes received (loss by direction) and which
// sequence numbers below each probe it has seen (the direction each lost
// probe was lost in). Directly where both share a clock (same host or
// namespaces), otherwise corrected by a clock offset estimated from the
// fastest of a few warm-up round trips, which assumes the path is as slow
// one way as the other.
//
// Patterns: pingpong keeps one probe in flight (the next goes when the
// reply came or a ProbeTimeout derived from the round trips seen passed);
// stream sends probes isochronously at `rate` (irtt's interval) with as
// many in flight as the path holds; burst sends `burst` probes back to back
// once a period. under-load cannot run against an echo (whyNotAgainstEcho).
//
// Before the run it waits at most kContactNs for a first reply and throws
// TransportError (kTimedOut) naming the address if none comes; during the
// run kSilenceNs without any reply ends it the same way. A stream or burst
// sends from a thread of its own while the caller's thread reads the
// replies. Not thread safe.
class PingPongClient {
 public:
  static constexpr std::int64_t kContactNs = 3'000'000'000;
  static constexpr std::int64_t kSilenceNs = 5'000'000'000;

  // Which kind of echo answered.
  enum class EchoKind {
    kNone,    // nothing answered (yet)
    kPigeon,  // `pigeon echo`: stamps, its count
    kPlain,   // the bytes came back unchanged (RFC 862): round trips only
  };

  PingPongClient(transport::Transport& transport, const BenchSettings& settings,
                 std::size_t sizeBytes, bool sharedClock);

  // Why `pattern` cannot run against an echo, in one line; empty if it can.
  static std::string whyNotAgainstEcho(Pattern pattern);

  // Makes contact, estimates the clock offset (if not shared), sends the
  // probes, then waits `drainMs` (and the probe timeout) for late replies
  // and asks the reflector how many probes it received. Returns early when
  // `stop` becomes true.
  void run(const std::atomic<bool>& stop);

  metrics::StreamStats& roundTrip() { return roundTrip_; }
  metrics::StreamStats& outbound() { return outbound_; }
  metrics::StreamStats& returnPath() { return return_; }
  std::uint64_t sent() const { return sent_; }
  std::optional<std::uint64_t> reflectorReceived() const { return reflectorReceived_; }
  bool sharedClock() const { return sharedClock_; }
  std::int64_t elapsedNs() const { return elapsedNs_; }
  const ProbeTimeout& probeTimeout() const { return timeout_; }
  EchoKind echoKind() const { return echoKind_; }
  // The reflector's time from reading a probe to building its reply, over
  // the replies that carried both stamps; empty when none did.
  const metrics::LatencyHistogram& echoProcessing() const { return processing_; }
  const metrics::LatencyHistogram& slip() const { return slip_; }

  // Each unanswered probe's fate, from the seenBelow windows of the replies
  // around it: the echo saw it (lost on the way back), the windows that
  // covered it said it never came (lost on the way out), or no reply's
  // window covered it (unknown: e.g. the last ones). nullopt without
  // pigeon echo's full stamps.
  struct LossDirections {
    std::uint64_t outbound = 0;
    std::uint64_t back = 0;
    std::uint64_t unknown = 0;
  };
  std::optional<LossDirections> lossDirections() const;

  // --log: each reply as an arrival (its round trip), each lost probe with
  // its direction. Thread safe (MessageLog is).
  void setLog(MessageLog* log) { log_ = log; }

 private:
  void sendProbe(std::uint64_t sequence, std::uint32_t streamId);
  // Takes replies until the one for `sequence` of `streamId` (if given) or
  // `untilNs`; a report's answer also ends it when no sequence is given.
  void collect(std::optional<std::uint64_t> sequence, std::int64_t untilNs,
               std::uint32_t streamId = 1);
  void record(const transport::Incoming& in, bool plain);
  void contact(const std::atomic<bool>& stop);
  void estimateOffset(const std::atomic<bool>& stop);
  void askReflector();
  void runOneInFlight(const std::atomic<bool>& stop);
  void runScheduled(const std::atomic<bool>& stop);
  bool more(std::uint64_t index, std::int64_t startNs) const;
  std::int64_t dueNs(std::uint64_t index, std::int64_t startNs) const;
  // The slot of a probe's fate; the one it replaces is classified.
  void track(std::uint64_t sequence);
  void markWindow(std::uint64_t sequence, std::uint64_t seenBelow);
  void checkSilence() const;
  std::string where() const;

  struct ProbeFate {
    std::uint64_t sequence = 0;
    bool used = false;
    bool replied = false;
    bool seen = false;     // a window says the echo got it
    bool covered = false;  // a window covered it
  };
  void classify(const ProbeFate& fate);

  transport::Transport& transport_;
  const BenchSettings& settings_;
  wire::Bytes payload_;
  bool sharedClock_;
  std::int64_t offsetNs_ = 0;
  std::atomic<std::uint64_t> sent_{0};
  metrics::StreamStats roundTrip_;
  metrics::StreamStats outbound_;
  metrics::StreamStats return_;
  metrics::LatencyHistogram processing_;
  metrics::LatencyHistogram slip_;
  std::optional<std::uint64_t> reflectorReceived_;
  bool reportEchoedUnchanged_ = false;  // an RFC 862 echo: no count to ask for
  std::int64_t elapsedNs_ = 0;
  // Warm-up replies (stream 0) feed the offset estimate, not the results.
  std::int64_t bestRttNs_ = INT64_MAX;
  // When an unanswered probe is given up on (ProbeTimeout).
  ProbeTimeout timeout_;
  EchoKind echoKind_ = EchoKind::kNone;
  std::atomic<std::uint64_t> replies_{0};     // probe replies of the run, duplicates included
  std::atomic<std::int64_t> lastReplyNs_{0};  // when any reply last came
  std::int64_t sendingSinceNs_ = 0;           // when the run's probes began
  std::mutex fatesMutex_;                     // the schedule's thread tracks, the reader marks
  std::vector<ProbeFate> fates_;              // a ring by sequence number
  bool windowsSeen_ = false;                  // a reply carried seenBelow
  LossDirections directions_;
  MessageLog* log_ = nullptr;
  std::size_t sizeBytes_;
};

}  // namespace pigeon::bench
