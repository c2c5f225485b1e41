#pragma once

#include "bench/MessageLog.h"
#include "metrics/StreamStats.h"
#include "transport/BatchedDatagramIo.h"
#include "transport/DatagramBatch.h"
#include "transport/Listener.h"
#include "transport/rudp/RudpCounters.h"

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace pigeon::bench {

// The receiving end of a one-way bench run. It accepts one peer, records
// every kData arrival in the StreamStats of its stream, and answers each
// kReport (the sender's final count, which may be sent several times over a
// lossy link) with a kReport carrying how many it has received. After the
// last expected report it waits `drainNs` for stragglers, then
// stops; the caller finishes each stream with the sender's count, so loss
// after the last arrival is counted: the count comes from the sender, not
// from the highest sequence number seen.
//
// Over UDP it reads with recvmmsg(2), up to kBatch datagrams a call, decoded
// in place without allocating; every datagram of one call gets the same
// arrival time, read from the steady clock when the call returns (the time
// the sink got it, as with one receive per datagram). With `busyPoll` (for
// runs as fast as possible), and when the process may run on two CPUs or
// more, it looks again without sleeping for kSpinNs after each arrival,
// yielding the CPU between looks: the next datagram is then microseconds
// away, and a sleeping reader makes the sender pay for waking it on every
// datagram. Paced runs sleep between messages, so that the sink's own
// polling never shapes the latency they measure. Not thread safe.
class BenchSink {
 public:
  struct Options {
    std::string transportName;
    std::size_t sizeBytes = 0;        // for the log
    std::size_t expectedStreams = 1;  // reports to wait for
    std::int64_t drainNs = 0;
    std::optional<std::int64_t> deadlineNs;
    MessageLog* log = nullptr;   // may be null
    int receiveBufferBytes = 0;  // 0: the kernel's default
    bool busyPoll = false;       // UDP: spin between arrivals (see above)
    // UDP: each datagram's arrival is the kernel's stamp of when its socket
    // queued it (SO_TIMESTAMPNS), not when this sink read it: the link's own
    // one-way delay, without the reader's scheduling. Other transports, or a
    // kernel that refuses, keep the read time (kernelStamps() says which).
    bool kernelStamps = false;
    // Per stream, the highest sequence number its sender can send; a number
    // above it is implausible and moves nothing (SequenceTracker).
    std::map<std::uint32_t, std::uint64_t> sequenceCeilings;
  };

  static constexpr std::size_t kBatch = 64;
  static constexpr std::int64_t kSpinNs = 50'000;

  // A UDP listener's socket is taken and its receive buffer enlarged here,
  // before any sender can start, so that no datagram is dropped at a
  // default-sized buffer, nor before socketDrops() starts counting.
  BenchSink(std::unique_ptr<transport::Listener> listener, Options options);

  // Runs until every stream is reported and drained, the peer closes, or
  // `stop` becomes true. Throws TransportError from the network.
  void run(const std::atomic<bool>& stop);

  // Statistics of `streamId` (created empty if nothing arrived on it).
  metrics::StreamStats& stream(std::uint32_t streamId);
  // The sender's final count for `streamId`, if its report arrived.
  std::optional<std::uint64_t> reportedSent(std::uint32_t streamId) const {
    const auto it = reportedSent_.find(streamId);
    if (it == reportedSent_.end()) return std::nullopt;
    return it->second;
  }

  // Drops at the receiving socket's buffer during the run, if the kernel says.
  std::optional<std::uint64_t> socketDrops() const { return socketDrops_; }
  // Whether the arrivals were the kernel's stamps (Options::kernelStamps).
  bool kernelStamps() const { return kernelStamps_; }

  // The receiving rudp endpoint's counters, when the run was over rudp.
  std::optional<transport::rudp::RudpCounters> rudpCounters() const { return rudpCounters_; }
  // Datagrams that were not frames of the run (a bad header field, a wrong
  // length, or not a pigeon frame at all): dropped, not counted as arrivals.
  std::uint64_t malformed() const { return malformed_; }
  // Well-formed frames whose CRC-32 failed (bench frames over UDP carry
  // one): changed on the way, dropped, never delivered.
  std::uint64_t corrupted() const { return corrupted_; }

  Poco::Net::SocketAddress localAddress() const { return listener_->localAddress(); }

 private:
  std::optional<transport::rudp::RudpCounters> rudpCounters_;
  void onData(const wire::Header& header, std::size_t payloadBytes, std::int64_t arrivalNs);
  void onReport(transport::Transport& transport, const wire::Header& header, wire::ByteSpan payload,
                std::int64_t nowNs, bool withCrc);
  // Each takes what arrived and returns false once the run is over (the peer
  // closed, or the drain after the last report has passed). One receive per
  // message, any transport:
  bool receiveOne(transport::Transport& transport);
  // One recvmmsg per call, UDP:
  bool receiveMany(transport::Transport& transport, transport::BatchedDatagramIo& udp,
                   transport::DatagramBatch& batch);

  // Applies the options to the accepted transport and starts counting drops.
  void adopt(std::unique_ptr<transport::Transport> transport);

  std::unique_ptr<transport::Listener> listener_;
  Options options_;
  std::unique_ptr<transport::Transport> transport_;
  std::optional<std::uint64_t> dropsAtStart_;
  std::map<std::uint32_t, metrics::StreamStats> streams_;
  std::map<std::uint32_t, std::uint64_t> reportedSent_;
  std::optional<std::int64_t> drainUntilNs_;
  std::optional<std::uint64_t> socketDrops_;
  std::uint64_t malformed_ = 0;
  std::uint64_t corrupted_ = 0;
  bool spin_ = false;             // two or more CPUs to run on
  bool kernelStamps_ = false;
  std::int64_t spinUntilNs_ = 0;  // look again without sleeping until then
  // The stream of the last arrival, so a run of one stream looks it up once.
  std::uint32_t lastStreamId_ = 0;
  metrics::StreamStats* lastStream_ = nullptr;
};

// The payload of a kReport: a 64-bit count, big-endian.
wire::Bytes encodeCount(std::uint64_t count);
std::optional<std::uint64_t> decodeCount(wire::ByteSpan payload);

}  // namespace pigeon::bench
