#include "bench/PingPongClient.h"

#include "bench/BenchSink.h"
#include "bench/EchoStamp.h"
#include "bench/Pacer.h"
#include "wire/Clock.h"

namespace pigeon::bench {

using transport::Incoming;
using wire::MessageType;

namespace {
constexpr std::uint32_t kWarmUpStream = 0;
constexpr std::uint32_t kProbeStream = 1;
constexpr int kWarmUpProbes = 16;
const Poco::Timespan kPoll(0, 10'000);
}  // namespace

PingPongClient::PingPongClient(transport::Transport& transport, const BenchSettings& settings,
                               std::size_t sizeBytes, bool sharedClock)
    : transport_(transport),
      settings_(settings),
      payload_(std::max(sizeBytes, wire::kHeaderSize + kEchoStampBytes) - wire::kHeaderSize),
      sharedClock_(sharedClock),
      timeout_(settings.probeTimeoutMs ? std::optional<std::int64_t>(static_cast<std::int64_t>(
                                             *settings.probeTimeoutMs * 1e6))
                                       : std::nullopt) {
  if (settings.deadlineMs) {
    outbound_.setDeadlineNs(static_cast<std::int64_t>(*settings.deadlineMs * 1e6));
    roundTrip_.setDeadlineNs(static_cast<std::int64_t>(*settings.deadlineMs * 1e6));
  }
}

void PingPongClient::sendProbe(std::uint64_t sequence, std::uint32_t streamId) {
  wire::Header probe;
  probe.type = MessageType::kEcho;
  probe.streamId = streamId;
  probe.sequence = sequence;
  probe.sendTimeNs = static_cast<std::uint64_t>(wire::steadyNowNs());
  transport_.sendMessage(probe, payload_);
}

void PingPongClient::record(const Incoming& in) {
  const auto sendNs = static_cast<std::int64_t>(in.header.sendTimeNs);
  const auto stamp = readEchoStamp(in.payload);
  if (in.header.streamId == kWarmUpStream || in.header.streamId == kProbeStream) {
    timeout_.addRoundTrip(in.arrivalNs - sendNs);
  }
  if (in.header.streamId == kWarmUpStream) {
    const std::int64_t rtt = in.arrivalNs - sendNs;
    if (stamp && rtt < bestRttNs_) {
      bestRttNs_ = rtt;
      offsetNs_ = *stamp - (sendNs + in.arrivalNs) / 2;
    }
    return;
  }
  if (in.header.streamId != kProbeStream) return;
  roundTrip_.recordArrival(in.header.sequence, sendNs, in.arrivalNs, in.payload.size(),
                           wire::kHeaderSize);
  if (stamp) {
    outbound_.recordArrival(in.header.sequence, sendNs, *stamp - offsetNs_, in.payload.size(),
                            wire::kHeaderSize);
  }
}

void PingPongClient::collect(std::uint64_t sequence, std::int64_t untilNs) {
  while (wire::steadyNowNs() < untilNs) {
    const Incoming in = transport_.receive(kPoll);
    if (in.kind == Incoming::Kind::kClosed) return;
    if (in.kind != Incoming::Kind::kMessage) continue;
    if (in.header.type == MessageType::kEchoReply) {
      record(in);
      if (in.header.sequence == sequence) return;
    } else if (in.header.type == MessageType::kReport) {
      reflectorReceived_ = decodeCount(in.payload);
      if (sequence == UINT64_MAX) return;
    }
  }
}

void PingPongClient::estimateOffset(const std::atomic<bool>& stop) {
  for (int i = 0; i < kWarmUpProbes && !stop; ++i) {
    sendProbe(static_cast<std::uint64_t>(i), kWarmUpStream);
    collect(static_cast<std::uint64_t>(i), wire::steadyNowNs() + timeout_.timeoutNs());
  }
}

void PingPongClient::askReflector() {
  // The report asks for the reflector's count; a lossy link may eat it.
  for (int attempt = 0; attempt < 20 && !reflectorReceived_; ++attempt) {
    wire::Header report;
    report.type = MessageType::kReport;
    report.streamId = kProbeStream;
    report.sendTimeNs = static_cast<std::uint64_t>(wire::steadyNowNs());
    transport_.sendMessage(report, encodeCount(sent_));
    collect(UINT64_MAX, wire::steadyNowNs() + 100'000'000);
  }
}

void PingPongClient::run(const std::atomic<bool>& stop) {
  if (!sharedClock_) estimateOffset(stop);
  const std::int64_t start = wire::steadyNowNs();
  Pacer pacer(settings_.ratePerS, start);
  const auto more = [&](std::uint64_t i) {
    if (settings_.durationS) {
      return wire::steadyNowNs() < start + static_cast<std::int64_t>(*settings_.durationS * 1e9);
    }
    return i < settings_.count;
  };
  for (std::uint64_t i = 0; !stop && more(i); ++i) {
    pacer.waitFor(i);
    sendProbe(i, kProbeStream);
    ++sent_;
    collect(i, wire::steadyNowNs() + timeout_.timeoutNs());
  }
  elapsedNs_ = wire::steadyNowNs() - start;
  collect(UINT64_MAX - 1, wire::steadyNowNs() + static_cast<std::int64_t>(settings_.drainMs * 1e6));
  askReflector();
  roundTrip_.finish(sent_, elapsedNs_);
  outbound_.finish(reflectorReceived_.value_or(sent_), elapsedNs_);
}

}  // namespace pigeon::bench
