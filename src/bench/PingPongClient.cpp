#include "bench/PingPongClient.h"

#include "bench/BenchSink.h"
#include "bench/Pacer.h"
#include "transport/Endpoint.h"
#include "transport/TransportError.h"
#include "wire/Clock.h"

#include <algorithm>
#include <thread>

namespace pigeon::bench {

using transport::Incoming;
using wire::MessageType;

namespace {
constexpr std::uint32_t kWarmUpStream = 0;
constexpr std::uint32_t kProbeStream = 1;
constexpr int kWarmUpProbes = 16;
constexpr std::int64_t kPollNs = 10'000'000;
constexpr std::int64_t kContactRepeatNs = 200'000'000;  // a contact probe again after this
constexpr std::size_t kFateRing = 1 << 16;              // probes whose fate is tracked at once
}  // namespace

PingPongClient::PingPongClient(transport::Transport& transport, const BenchSettings& settings,
                               std::size_t sizeBytes, bool sharedClock)
    : transport_(transport),
      settings_(settings),
      payload_(std::max(sizeBytes, wire::kHeaderSize + kEchoStampBytes) - wire::kHeaderSize),
      sharedClock_(sharedClock),
      timeout_(settings.probeTimeoutMs ? std::optional<std::int64_t>(static_cast<std::int64_t>(
                                             *settings.probeTimeoutMs * 1e6))
                                       : std::nullopt),
      fates_(kFateRing),
      sizeBytes_(sizeBytes) {
  if (settings.deadlineMs) {
    outbound_.setDeadlineNs(static_cast<std::int64_t>(*settings.deadlineMs * 1e6));
    roundTrip_.setDeadlineNs(static_cast<std::int64_t>(*settings.deadlineMs * 1e6));
  }
}

std::string PingPongClient::whyNotAgainstEcho(Pattern pattern) {
  if (pattern == Pattern::kUnderLoad) {
    return "--pattern under-load cannot run against --target: its bulk flow needs a receiver, "
           "and an echo would send all of it back; use stream (probes at --rate) or pingpong";
  }
  return "";
}

std::string PingPongClient::where() const {
  return transport::formatAddress(transport_.peerAddress()) + " over " + transport_.name();
}

void PingPongClient::sendProbe(std::uint64_t sequence, std::uint32_t streamId) {
  wire::Header probe;
  probe.type = MessageType::kEcho;
  probe.streamId = streamId;
  probe.sequence = sequence;
  probe.sendTimeNs = static_cast<std::uint64_t>(wire::steadyNowNs());
  transport_.sendMessage(probe, payload_);
}

void PingPongClient::track(std::uint64_t sequence) {
  ProbeFate& slot = fates_[sequence % fates_.size()];
  if (slot.used) classify(slot);
  slot = ProbeFate{sequence, true, false, false, false};
}

void PingPongClient::classify(const ProbeFate& fate) {
  if (fate.replied) return;
  const char* direction = "unknown";
  if (fate.seen) {
    ++directions_.back;
    direction = "return";
  } else if (fate.covered) {
    ++directions_.outbound;
    direction = "outbound";
  } else {
    ++directions_.unknown;
  }
  if (log_ && windowsSeen_)
    log_->lostProbe(transport_.name(), sizeBytes_, kProbeStream, fate.sequence, direction);
}

void PingPongClient::markWindow(std::uint64_t sequence, std::uint64_t seenBelow) {
  windowsSeen_ = true;
  for (std::uint64_t i = 0; i < 64 && i < sequence; ++i) {
    const std::uint64_t below = sequence - 1 - i;
    ProbeFate& slot = fates_[below % fates_.size()];
    if (!slot.used || slot.sequence != below) continue;
    slot.covered = true;
    if ((seenBelow >> i) & 1U) slot.seen = true;
  }
}

std::optional<PingPongClient::LossDirections> PingPongClient::lossDirections() const {
  if (!windowsSeen_) return std::nullopt;
  return directions_;
}

void PingPongClient::record(const Incoming& in, bool plain) {
  const auto sendNs = static_cast<std::int64_t>(in.header.sendTimeNs);
  // An RFC 862 echo returns the probe as it was: its payload is no stamp.
  std::optional<EchoStamps> stamps;
  if (!plain) stamps = readEchoStamps(in.payload);
  const bool both = stamps && stamps->repliedNs != 0;
  const std::int64_t processingNs =
      both ? std::max<std::int64_t>(0, stamps->repliedNs - stamps->receivedNs) : 0;
  const std::int64_t rttNs = in.arrivalNs - sendNs - processingNs;
  if (in.header.streamId == kWarmUpStream || in.header.streamId == kProbeStream) {
    timeout_.addRoundTrip(rttNs);
    lastReplyNs_ = in.arrivalNs;
  }
  if (in.header.streamId == kWarmUpStream) {
    if (!sharedClock_ && stamps && rttNs < bestRttNs_) {
      bestRttNs_ = rttNs;
      // NTP's offset: the echo's midpoint minus ours (its processing time
      // cancels when both stamps are there).
      const EchoStamps& s = *stamps;
      const std::int64_t echoMid = s.receivedNs + (both ? (s.repliedNs - s.receivedNs) / 2 : 0);
      offsetNs_ = echoMid - (sendNs + (in.arrivalNs - sendNs) / 2);
    }
    return;
  }
  if (in.header.streamId != kProbeStream) return;
  ++replies_;
  const std::uint64_t sequence = in.header.sequence;
  const auto verdict = roundTrip_.recordArrival(sequence, sendNs, in.arrivalNs - processingNs,
                                                in.payload.size(), wire::kHeaderSize);
  if (log_) {
    log_->arrival(transport_.name(), sizeBytes_, kProbeStream, sequence, sendNs,
                  in.arrivalNs - processingNs, verdict);
  }
  if (!stamps) return;
  outbound_.recordArrival(sequence, sendNs, stamps->receivedNs - offsetNs_, in.payload.size(),
                          wire::kHeaderSize);
  if (!both) return;
  processing_.record(processingNs);
  return_.recordArrival(sequence, stamps->repliedNs - offsetNs_, in.arrivalNs, in.payload.size(),
                        wire::kHeaderSize);
  std::lock_guard lock(fatesMutex_);
  ProbeFate& slot = fates_[sequence % fates_.size()];
  if (slot.used && slot.sequence == sequence) slot.replied = true;
  markWindow(sequence, stamps->seenBelow);
}

void PingPongClient::collect(std::optional<std::uint64_t> sequence, std::int64_t untilNs,
                             std::uint32_t streamId) {
  for (std::int64_t now = wire::steadyNowNs(); now < untilNs; now = wire::steadyNowNs()) {
    const std::int64_t waitNs = std::min(untilNs - now, kPollNs);
    const Incoming in =
        transport_.receive(Poco::Timespan(0, std::max<std::int64_t>(waitNs / 1000, 1)));
    if (in.kind == Incoming::Kind::kClosed) {
      throw transport::TransportError(transport::TransportError::Code::kPeerClosed,
                                      "the echo at " + where() + " closed the connection");
    }
    if (in.kind == Incoming::Kind::kPlain) {
      // Text, not frames: whatever is there is no echo (a `pigeon link`
      // says it relays UDP only). Shown printable only, and short.
      std::string text;
      for (const std::uint8_t c : in.payload) {
        if (text.size() >= 160) break;
        if (c >= 0x20 && c < 0x7f) text += static_cast<char>(c);
      }
      throw transport::TransportError(
          transport::TransportError::Code::kProtocol,
          "the peer at " + where() + " is no echo, it answered: \"" + text + "\"");
    }
    if (in.kind != Incoming::Kind::kMessage) continue;
    // Only pigeon echo makes a kEchoReply (rudp carries no header flags, so
    // the type says it); an RFC 862 echo returns the kEcho probe itself.
    const bool fromPigeon = (in.header.flags & wire::flags::kReply) != 0;
    if (in.header.type == MessageType::kEchoReply) {
      echoKind_ = EchoKind::kPigeon;
      record(in, false);
    } else if (in.header.type == MessageType::kEcho && !fromPigeon) {
      // The probe itself, returned unchanged: an RFC 862 echo.
      if (echoKind_ == EchoKind::kNone) echoKind_ = EchoKind::kPlain;
      record(in, true);
    } else if (in.header.type == MessageType::kReport) {
      if (fromPigeon || echoKind_ == EchoKind::kPigeon) {
        reflectorReceived_ = decodeCount(in.payload);
      } else {
        reportEchoedUnchanged_ = true;  // our own count, back: no count there
      }
      if (!sequence) return;
      continue;
    } else {
      continue;
    }
    if (sequence && in.header.sequence == *sequence && in.header.streamId == streamId) return;
  }
}

void PingPongClient::contact(const std::atomic<bool>& stop) {
  const std::int64_t start = wire::steadyNowNs();
  for (std::uint64_t i = 0; !stop && echoKind_ == EchoKind::kNone; ++i) {
    const std::int64_t now = wire::steadyNowNs();
    if (now - start >= kContactNs) {
      throw transport::TransportError(
          transport::TransportError::Code::kTimedOut,
          "no reply from " + where() + " within " + std::to_string(kContactNs / 1'000'000'000) +
              " s: nothing echoes there (bench --target needs pigeon echo or any RFC 862 echo)");
    }
    sendProbe(i, kWarmUpStream);
    collect(i, std::min(start + kContactNs, now + kContactRepeatNs), kWarmUpStream);
  }
}

void PingPongClient::estimateOffset(const std::atomic<bool>& stop) {
  for (int i = 0; i < kWarmUpProbes && !stop; ++i) {
    const auto sequence = static_cast<std::uint64_t>(1000 + i);
    sendProbe(sequence, kWarmUpStream);
    collect(sequence, wire::steadyNowNs() + timeout_.timeoutNs(), kWarmUpStream);
  }
}

void PingPongClient::askReflector() {
  // The report asks for the reflector's count; a lossy link may eat it. An
  // RFC 862 echo sends it back as it was: it has no count to give.
  for (int attempt = 0; attempt < 20 && !reflectorReceived_ && !reportEchoedUnchanged_; ++attempt) {
    wire::Header report;
    report.type = MessageType::kReport;
    report.streamId = kProbeStream;
    report.sendTimeNs = static_cast<std::uint64_t>(wire::steadyNowNs());
    transport_.sendMessage(report, encodeCount(sent_.load()));
    collect(std::nullopt, wire::steadyNowNs() + 100'000'000);
  }
}

void PingPongClient::checkSilence() const {
  const std::int64_t now = wire::steadyNowNs();
  const std::int64_t since = std::max(lastReplyNs_.load(), sendingSinceNs_);
  if (now - since > kSilenceNs) {
    throw transport::TransportError(transport::TransportError::Code::kTimedOut,
                                    "the echo at " + where() + " stopped answering: no reply for " +
                                        std::to_string(kSilenceNs / 1'000'000'000) + " s after " +
                                        std::to_string(replies_.load()) + " replies to " +
                                        std::to_string(sent_.load()) + " probes");
  }
}

bool PingPongClient::more(std::uint64_t index, std::int64_t startNs) const {
  if (settings_.durationS) {
    return wire::steadyNowNs() < startNs + static_cast<std::int64_t>(*settings_.durationS * 1e9);
  }
  return index < settings_.count;
}

std::int64_t PingPongClient::dueNs(std::uint64_t index, std::int64_t startNs) const {
  if (settings_.pattern == Pattern::kBurst) {
    const std::uint64_t burst = std::max<std::size_t>(1, settings_.burstSize);
    const double periodNs = settings_.ratePerS > 0
                                ? static_cast<double>(burst) * 1e9 / settings_.ratePerS
                                : 10e6;  // as the one-way burst: 10 ms pauses
    return startNs + static_cast<std::int64_t>(static_cast<double>(index / burst) * periodNs);
  }
  if (settings_.ratePerS <= 0) return startNs;
  return startNs + static_cast<std::int64_t>(static_cast<double>(index) * 1e9 / settings_.ratePerS);
}

void PingPongClient::runOneInFlight(const std::atomic<bool>& stop) {
  const std::int64_t start = wire::steadyNowNs();
  Pacer pacer(settings_.ratePerS, start);
  for (std::uint64_t i = 0; !stop && more(i, start); ++i) {
    pacer.waitFor(i);
    {
      std::lock_guard lock(fatesMutex_);
      track(i);
    }
    sendProbe(i, kProbeStream);
    ++sent_;
    collect(i, wire::steadyNowNs() + timeout_.timeoutNs());
    checkSilence();
  }
  slip_ = pacer.slip();
  elapsedNs_ = wire::steadyNowNs() - start;
}

void PingPongClient::runScheduled(const std::atomic<bool>& stop) {
  // The schedule on a thread of its own, sleeping to each probe's time;
  // this thread reads the replies as they come, so their arrival times are
  // not held back by the schedule's waits (nor the schedule by the reads).
  const std::int64_t start = wire::steadyNowNs();
  std::atomic<bool> sending{true};
  std::atomic<bool> abandon{false};
  std::exception_ptr senderError;
  std::thread sender([&] {
    try {
      for (std::uint64_t i = 0; !stop && !abandon && more(i, start); ++i) {
        const std::int64_t due = dueNs(i, start);
        sleepUntilNs(due);
        slip_.record(wire::steadyNowNs() - due);
        {
          std::lock_guard lock(fatesMutex_);
          track(i);
        }
        sendProbe(i, kProbeStream);
        ++sent_;
        checkSilence();
      }
    } catch (...) {
      senderError = std::current_exception();
    }
    sending = false;
  });
  try {
    while (sending) collect(std::nullopt, wire::steadyNowNs() + kPollNs);
  } catch (...) {
    abandon = true;
    sender.join();
    throw;
  }
  sender.join();
  if (senderError) std::rethrow_exception(senderError);
  elapsedNs_ = wire::steadyNowNs() - start;
  // The replies still on their way: until all came, or the probe timeout.
  const std::int64_t until = wire::steadyNowNs() + timeout_.timeoutNs();
  while (!stop && roundTrip_.delivered() < sent_ && wire::steadyNowNs() < until) {
    collect(std::nullopt, std::min(until, wire::steadyNowNs() + kPollNs));
  }
}

void PingPongClient::run(const std::atomic<bool>& stop) {
  contact(stop);
  if (!sharedClock_ && echoKind_ == EchoKind::kPigeon) estimateOffset(stop);
  sendingSinceNs_ = wire::steadyNowNs();
  if (settings_.pattern == Pattern::kPingPong) {
    runOneInFlight(stop);
  } else {
    runScheduled(stop);
  }
  collect(std::nullopt, wire::steadyNowNs() + static_cast<std::int64_t>(settings_.drainMs * 1e6));
  if (echoKind_ == EchoKind::kPigeon) askReflector();
  for (const ProbeFate& fate : fates_) {
    if (fate.used) classify(fate);
  }
  roundTrip_.finish(sent_.load(), elapsedNs_);
  outbound_.finish(reflectorReceived_.value_or(sent_.load()), elapsedNs_);
  return_.finish(reflectorReceived_.value_or(sent_.load()), elapsedNs_);
}

}  // namespace pigeon::bench
