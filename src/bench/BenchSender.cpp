#include "bench/BenchSender.h"

#include "bench/BenchSink.h"
#include "wire/Clock.h"
#include "wire/Codec.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace pigeon::bench {

namespace {
constexpr std::int64_t kNsPerS = 1'000'000'000;
const Poco::Timespan kReportRetry(0, 100'000);
}  // namespace

BenchSender::BenchSender(transport::Transport& transport, const BenchSettings& settings,
                         std::size_t sizeBytes)
    : transport_(transport),
      udp_(transport.batchedIo()),
      frameFlags_(udp_ ? wire::flags::kCrc : std::uint16_t{0}),
      settings_(settings),
      payload_(sizeBytes > wire::kHeaderSize ? sizeBytes - wire::kHeaderSize : 0) {
  // A recognisable, non-compressible filler.
  for (std::size_t i = 0; i < payload_.size(); ++i) {
    payload_[i] = static_cast<std::uint8_t>((i * 131 + 7) & 0xFF);
  }
  if (udp_ && payload_.size() <= transport.maxPayload()) {
    batch_ = std::make_unique<transport::DatagramBatch>(
        kBatch, wire::encodedSize(payload_.size(), /*withCrc=*/true));
    udp_->setSegmentation(settings.udpSegmentation);
  }
}

std::uint64_t BenchSender::sent(std::uint32_t streamId) const {
  const auto it = sent_.find(streamId);
  return it == sent_.end() ? 0 : it->second;
}

std::map<std::uint32_t, std::uint64_t> BenchSender::sequenceCeilings(
    const BenchSettings& settings) {
  std::map<std::uint32_t, std::uint64_t> ceilings;
  // Over a duration, message i leaves no earlier than i / rate after the
  // start, and none leaves after the end; a burst may finish one burst more.
  const auto overDuration = [&](double ratePerS,
                                std::uint64_t extra) -> std::optional<std::uint64_t> {
    if (!settings.durationS || ratePerS <= 0) return std::nullopt;
    return static_cast<std::uint64_t>(std::ceil(*settings.durationS * ratePerS)) + extra;
  };
  const std::uint64_t extra =
      settings.pattern == Pattern::kBurst ? std::max<std::size_t>(1, settings.burstSize) : 1;
  if (!settings.durationS) {
    if (settings.count > 0) ceilings[kBulkStream] = settings.count - 1;
  } else if (const auto bulk = overDuration(settings.ratePerS, extra)) {
    ceilings[kBulkStream] = *bulk;
  }
  if (settings.pattern == Pattern::kUnderLoad) {
    if (const auto probes = overDuration(settings.probeRatePerS, 1))
      ceilings[kProbeStream] = *probes;
  }
  return ceilings;
}

bool BenchSender::more(std::uint64_t index, std::int64_t nowNs) const {
  if (settings_.durationS) {
    return nowNs < startNs_ + static_cast<std::int64_t>(*settings_.durationS * kNsPerS);
  }
  return index < settings_.count;
}

void BenchSender::send(std::uint32_t streamId, std::int64_t sendTimeNs) {
  wire::Header header;
  header.type = wire::MessageType::kData;
  header.flags = frameFlags_;
  header.streamId = streamId;
  header.sequence = sent_[streamId];
  header.sendTimeNs = static_cast<std::uint64_t>(sendTimeNs);
  transport_.sendMessage(header, payload_);
  ++sent_[streamId];
}

void BenchSender::add(std::uint64_t index, std::int64_t sendTimeNs) {
  wire::Header header;
  header.type = wire::MessageType::kData;
  header.flags = frameFlags_;
  header.streamId = kBulkStream;
  header.sequence = index;
  header.sendTimeNs = static_cast<std::uint64_t>(sendTimeNs);
  batch_->add(header, payload_);
}

void BenchSender::flush() {
  const std::size_t n = batch_->pending();
  if (n == 0) return;
  udp_->sendBatch(*batch_);
  sent_[kBulkStream] += n;
}

void BenchSender::run(const std::atomic<bool>& stop) {
  sent_[kBulkStream] = 0;
  if (settings_.pattern == Pattern::kUnderLoad) sent_[kProbeStream] = 0;
  startNs_ = wire::steadyNowNs();
  switch (settings_.pattern) {
    case Pattern::kBurst:
      runBurst(stop);
      break;
    case Pattern::kUnderLoad:
      runUnderLoad(stop);
      break;
    default:
      runPaced(stop);
      break;
  }
}

void BenchSender::runPaced(const std::atomic<bool>& stop) {
  Pacer pacer(settings_.ratePerS, startNs_);
  if (!batch_) {
    for (std::uint64_t i = 0; !stop && more(i, wire::steadyNowNs()); ++i) {
      send(kBulkStream, pacer.waitFor(i));
    }
  } else {
    // Wait for the next message, then send it with every other one due by
    // then (each with its own slip), up to a batch.
    std::uint64_t i = 0;
    while (!stop && more(i, wire::steadyNowNs())) {
      const std::int64_t now = pacer.waitFor(i);
      add(i++, now);
      while (!batch_->full() && more(i, now) && pacer.dueNs(i) <= now) {
        if (pacer.paced()) slip_.record(now - pacer.dueNs(i));
        add(i++, now);
      }
      flush();
    }
  }
  slip_.merge(pacer.slip());
}

void BenchSender::runBurst(const std::atomic<bool>& stop) {
  const std::size_t burst = std::max<std::size_t>(1, settings_.burstSize);
  // Bursts keep the average rate; as fast as possible means 10 ms pauses.
  const double periodNs =
      settings_.ratePerS > 0 ? static_cast<double>(burst) * 1e9 / settings_.ratePerS : 10e6;
  std::uint64_t index = 0;
  for (std::uint64_t k = 0; !stop && more(index, wire::steadyNowNs()); ++k) {
    const auto due = startNs_ + static_cast<std::int64_t>(static_cast<double>(k) * periodNs);
    sleepUntilNs(due);
    slip_.record(wire::steadyNowNs() - due);
    if (batch_) {
      for (std::size_t j = 0; j < burst;) {
        const std::int64_t now = wire::steadyNowNs();
        if (!more(index, now)) break;
        for (; j < burst && !batch_->full() && more(index, now); ++j) add(index++, now);
        flush();
      }
      continue;
    }
    for (std::size_t j = 0; j < burst && more(index, wire::steadyNowNs()); ++j, ++index) {
      send(kBulkStream, wire::steadyNowNs());
    }
  }
}

void BenchSender::runUnderLoad(const std::atomic<bool>& stop) {
  Pacer bulk(settings_.ratePerS, startNs_);
  Pacer probes(settings_.probeRatePerS, startNs_);
  std::uint64_t bulkIndex = 0;
  std::uint64_t probeIndex = 0;
  while (!stop) {
    const std::int64_t now = wire::steadyNowNs();
    if (!more(bulkIndex, now)) break;
    const std::int64_t probeDue = probes.dueNs(probeIndex);
    if (now >= probeDue) {
      slip_.record(now - probeDue);
      send(kProbeStream, now);
      ++probeIndex;
      continue;
    }
    const std::int64_t bulkDue = bulk.paced() ? bulk.dueNs(bulkIndex) : now;
    if (now >= bulkDue) {
      send(kBulkStream, now);
      ++bulkIndex;
      continue;
    }
    sleepUntilNs(std::min(probeDue, bulkDue));
  }
}

bool BenchSender::deliverReports(std::int64_t timeoutNs) {
  std::set<std::uint32_t> pending;
  for (const auto& [id, count] : sent_) pending.insert(id);
  const std::int64_t deadline = wire::steadyNowNs() + timeoutNs;
  while (!pending.empty() && wire::steadyNowNs() < deadline) {
    for (std::uint32_t id : pending) {
      wire::Header report;
      report.type = wire::MessageType::kReport;
      report.flags = frameFlags_;
      report.streamId = id;
      report.sendTimeNs = static_cast<std::uint64_t>(wire::steadyNowNs());
      transport_.sendMessage(report, encodeCount(sent(id)));
    }
    const std::int64_t retryAt = wire::steadyNowNs() + kReportRetry.totalMicroseconds() * 1000;
    while (!pending.empty() && wire::steadyNowNs() < retryAt) {
      const auto in = transport_.receive(kReportRetry);
      if (in.kind == transport::Incoming::Kind::kClosed) return false;
      if (in.kind == transport::Incoming::Kind::kMessage &&
          in.header.type == wire::MessageType::kReport) {
        pending.erase(in.header.streamId);
      }
    }
  }
  return pending.empty();
}

}  // namespace pigeon::bench
