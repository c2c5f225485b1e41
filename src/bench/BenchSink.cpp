#include "bench/BenchSink.h"

#include "transport/SocketStats.h"
#include "wire/Clock.h"

namespace pigeon::bench {

using transport::Incoming;
using wire::MessageType;

namespace {
const Poco::Timespan kPoll(0, 20'000);
constexpr std::size_t kMaxStreams = 8;  // a peer cannot make us keep more
}  // namespace

wire::Bytes encodeCount(std::uint64_t count) {
  wire::Bytes out(8);
  wire::putU64(out.data(), count);
  return out;
}

std::optional<std::uint64_t> decodeCount(wire::ByteSpan payload) {
  if (payload.size() != 8) return std::nullopt;
  return wire::getU64(payload.data());
}

BenchSink::BenchSink(std::unique_ptr<transport::Listener> listener, Options options)
    : listener_(std::move(listener)), options_(std::move(options)) {}

metrics::StreamStats& BenchSink::stream(std::uint32_t streamId) {
  auto [it, inserted] = streams_.try_emplace(streamId);
  if (inserted && options_.deadlineNs) it->second.setDeadlineNs(*options_.deadlineNs);
  return it->second;
}

void BenchSink::onReport(transport::Transport& transport, const Incoming& in, std::int64_t nowNs) {
  const auto sent = decodeCount(in.payload);
  if (!sent) return;
  const std::uint32_t id = in.header.streamId;
  if (!streams_.count(id) && streams_.size() >= kMaxStreams) return;
  reportedSent_[id] = *sent;
  wire::Header ack;
  ack.type = MessageType::kReport;
  ack.streamId = id;
  ack.sendTimeNs = static_cast<std::uint64_t>(nowNs);
  transport.sendMessage(ack, encodeCount(stream(id).delivered()));
  if (reportedSent_.size() >= options_.expectedStreams && !drainUntilNs_) {
    drainUntilNs_ = nowNs + options_.drainNs;
  }
}

void BenchSink::run(const std::atomic<bool>& stop) {
  std::unique_ptr<transport::Transport> transport;
  while (!transport && !stop) transport = listener_->accept(kPoll);
  if (!transport) return;
  const int fd = transport->nativeHandle();
  if (options_.receiveBufferBytes > 0 && fd >= 0) {
    transport::enlargeReceiveBuffer(fd, options_.receiveBufferBytes);
  }
  const auto dropsAtStart = transport::socketDrops(fd);

  bool open = true;
  while (open && !stop) {
    const Incoming in = transport->receive(kPoll);
    const std::int64_t now = wire::steadyNowNs();
    switch (in.kind) {
      case Incoming::Kind::kMessage:
        if (in.header.type == MessageType::kData) {
          const std::uint32_t id = in.header.streamId;
          if (!streams_.count(id) && streams_.size() >= kMaxStreams) break;
          auto& stats = stream(id);
          const auto verdict = stats.recordArrival(
              in.header.sequence, static_cast<std::int64_t>(in.header.sendTimeNs), in.arrivalNs,
              in.payload.size(), wire::kHeaderSize);
          if (options_.log) {
            options_.log->arrival(options_.transportName, options_.sizeBytes, id,
                                  in.header.sequence,
                                  static_cast<std::int64_t>(in.header.sendTimeNs), in.arrivalNs,
                                  verdict);
          }
        } else if (in.header.type == MessageType::kReport) {
          onReport(*transport, in, now);
        }
        break;
      case Incoming::Kind::kClosed: open = false; break;
      case Incoming::Kind::kPlain:
      case Incoming::Kind::kMalformed:
      case Incoming::Kind::kTimeout: break;
    }
    if (drainUntilNs_ && now >= *drainUntilNs_) open = false;
  }
  if (const auto dropsAtEnd = transport::socketDrops(fd); dropsAtStart && dropsAtEnd) {
    socketDrops_ = *dropsAtEnd - *dropsAtStart;
  }
  transport->close();
}

}  // namespace pigeon::bench
