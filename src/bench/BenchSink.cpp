#include "bench/BenchSink.h"

#include "transport/BatchedDatagramIo.h"

#include "transport/SocketStats.h"
#include "wire/Clock.h"
#include "wire/Codec.h"

#include <sched.h>
#include <sys/socket.h>

#include <algorithm>

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
    : listener_(std::move(listener)), options_(std::move(options)) {
  if (listener_->acceptsWithoutWaiting()) adopt(listener_->accept(0));
}

void BenchSink::adopt(std::unique_ptr<transport::Transport> transport) {
  transport_ = std::move(transport);
  if (!transport_) return;
  const int fd = transport_->nativeHandle();
  if (options_.receiveBufferBytes > 0 && fd >= 0) {
    transport::enlargeReceiveBuffer(fd, options_.receiveBufferBytes);
  }
  dropsAtStart_ = transport::socketDrops(fd);
  // Stamping on before any sender starts, so no datagram goes unstamped.
  if (options_.kernelStamps && transport_->batchedIo() != nullptr && fd >= 0) {
    const int on = 1;
    kernelStamps_ = ::setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) == 0;
  }
}

metrics::StreamStats& BenchSink::stream(std::uint32_t streamId) {
  auto [it, inserted] = streams_.try_emplace(streamId);
  if (inserted && options_.deadlineNs) it->second.setDeadlineNs(*options_.deadlineNs);
  if (const auto c = options_.sequenceCeilings.find(streamId);
      inserted && c != options_.sequenceCeilings.end()) {
    it->second.setSequenceCeiling(c->second);
  }
  return it->second;
}

void BenchSink::onData(const wire::Header& header, std::size_t payloadBytes,
                       std::int64_t arrivalNs) {
  const std::uint32_t id = header.streamId;
  if (!lastStream_ || id != lastStreamId_) {
    if (!streams_.count(id) && streams_.size() >= kMaxStreams) return;
    lastStream_ = &stream(id);  // std::map: the address stays valid
    lastStreamId_ = id;
  }
  const auto sendNs = static_cast<std::int64_t>(header.sendTimeNs);
  const auto verdict = lastStream_->recordArrival(header.sequence, sendNs, arrivalNs, payloadBytes,
                                                  wire::encodedSize(0, header.hasCrc()));
  if (options_.log) {
    options_.log->arrival(options_.transportName, options_.sizeBytes, id, header.sequence, sendNs,
                          arrivalNs, verdict);
  }
}

void BenchSink::onReport(transport::Transport& transport, const wire::Header& header,
                         wire::ByteSpan payload, std::int64_t nowNs, bool withCrc) {
  const auto sent = decodeCount(payload);
  if (!sent) return;
  const std::uint32_t id = header.streamId;
  if (!streams_.count(id) && streams_.size() >= kMaxStreams) return;
  reportedSent_[id] = *sent;
  wire::Header ack;
  ack.type = MessageType::kReport;
  // Over UDP the count is protected like the sender's frames (BenchSender).
  if (withCrc) ack.flags = wire::flags::kCrc;
  ack.streamId = id;
  ack.sendTimeNs = static_cast<std::uint64_t>(nowNs);
  transport.sendMessage(ack, encodeCount(stream(id).delivered()));
  if (reportedSent_.size() >= options_.expectedStreams && !drainUntilNs_) {
    drainUntilNs_ = nowNs + options_.drainNs;
  }
}

bool BenchSink::receiveOne(transport::Transport& transport) {
  const Incoming in = transport.receive(kPoll);
  const std::int64_t now = wire::steadyNowNs();
  switch (in.kind) {
    case Incoming::Kind::kMessage:
      if (in.header.type == MessageType::kData) {
        onData(in.header, in.payload.size(), in.arrivalNs);
      } else if (in.header.type == MessageType::kReport) {
        onReport(transport, in.header, in.payload, now, /*withCrc=*/false);
      }
      break;
    case Incoming::Kind::kClosed:
      return false;
    case Incoming::Kind::kMalformed:
      ++(in.error == wire::DecodeError::kBadChecksum ? corrupted_ : malformed_);
      break;
    case Incoming::Kind::kPlain:  // no plain peer takes part in a run: damaged magic
      ++malformed_;
      break;
    case Incoming::Kind::kTimeout:
      break;
  }
  return !(drainUntilNs_ && now >= *drainUntilNs_);
}

bool BenchSink::receiveMany(transport::Transport& transport, transport::BatchedDatagramIo& udp,
                            transport::DatagramBatch& batch) {
  const bool look = spin_ && wire::steadyNowNs() < spinUntilNs_;
  if (udp.receiveBatch(batch, look ? Poco::Timespan(0) : kPoll) > 0) {
    spinUntilNs_ = batch.arrivalNs() + kSpinNs;
  } else if (look) {
    ::sched_yield();  // whoever shares this CPU (the sender, perhaps) goes first
  }
  corrupted_ += batch.corrupted();
  malformed_ += batch.malformed() - batch.corrupted();
  for (const auto& d : batch.received()) {
    if (d.kind != Incoming::Kind::kMessage) {
      ++malformed_;  // no plain peer takes part in a run: damaged magic
      continue;
    }
    if (d.header.type == MessageType::kData) {
      // The batch's read time, or the kernel's stamp when it was asked for.
      onData(d.header, d.payload.size(), d.arrivalNs);
    } else if (d.header.type == MessageType::kReport) {
      onReport(transport, d.header, d.payload, wire::steadyNowNs(), /*withCrc=*/true);
    }
  }
  return !(drainUntilNs_ && wire::steadyNowNs() >= *drainUntilNs_);
}

void BenchSink::run(const std::atomic<bool>& stop) {
  while (!transport_ && !stop) adopt(listener_->accept(kPoll));
  if (!transport_) return;
  const std::unique_ptr<transport::Transport> transport = std::move(transport_);
  const int fd = transport->nativeHandle();

  if (auto* udp = transport->batchedIo()) {
    // Slots for the run's messages; anything larger is not the bench's.
    const std::size_t slotBytes =
        options_.sizeBytes > 0 ? std::max<std::size_t>(options_.sizeBytes + wire::kCrcSize, 2048)
                               : wire::kMaxDatagramSize + 1;
    transport::DatagramBatch batch(kBatch, slotBytes);
    if (kernelStamps_) kernelStamps_ = batch.stampArrivals(fd);
    cpu_set_t cpus;
    spin_ = options_.busyPoll && ::sched_getaffinity(0, sizeof cpus, &cpus) == 0 &&
            CPU_COUNT(&cpus) >= 2;
    while (!stop && receiveMany(*transport, *udp, batch)) {
    }
  } else {
    while (!stop && receiveOne(*transport)) {
    }
  }
  if (const auto dropsAtEnd = transport::socketDrops(fd); dropsAtStart_ && dropsAtEnd) {
    socketDrops_ = *dropsAtEnd - *dropsAtStart_;
  }
  rudpCounters_ = transport->reliabilityCounters();
  transport->close();
}

}  // namespace pigeon::bench
