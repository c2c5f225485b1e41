#pragma once

#include "bench/MessageLog.h"
#include "metrics/StreamStats.h"
#include "transport/Listener.h"

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
class BenchSink {
 public:
  struct Options {
    std::string transportName;
    std::size_t sizeBytes = 0;             // for the log
    std::size_t expectedStreams = 1;       // reports to wait for
    std::int64_t drainNs = 0;
    std::optional<std::int64_t> deadlineNs;
    MessageLog* log = nullptr;             // may be null
    int receiveBufferBytes = 0;            // 0: the kernel's default
  };

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

  Poco::Net::SocketAddress localAddress() const { return listener_->localAddress(); }

 private:
  void onReport(transport::Transport& transport, const transport::Incoming& in,
                std::int64_t nowNs);

  std::unique_ptr<transport::Listener> listener_;
  Options options_;
  std::map<std::uint32_t, metrics::StreamStats> streams_;
  std::map<std::uint32_t, std::uint64_t> reportedSent_;
  std::optional<std::int64_t> drainUntilNs_;
  std::optional<std::uint64_t> socketDrops_;
};

// The payload of a kReport: a 64-bit count, big-endian.
wire::Bytes encodeCount(std::uint64_t count);
std::optional<std::uint64_t> decodeCount(wire::ByteSpan payload);

}  // namespace pigeon::bench
