#include "metrics/StreamStats.h"

namespace pigeon::metrics {

void StreamStats::setDeadlineNs(std::int64_t deadlineNs) {
  deadlineNs_ = deadlineNs;
  lateAboveNs_ = deadlineNs;
}

StreamStats::Verdict StreamStats::recordArrival(std::uint64_t sequence, std::int64_t sendTimeNs,
                                                std::int64_t arrivalNs, std::size_t payloadBytes,
                                                std::size_t overheadBytes) {
  if (arrivals_++ == 0) {
    firstArrivalNs_ = arrivalNs;
    lastArrivalNs_ = arrivalNs;
  } else {
    if (arrivalNs < firstArrivalNs_) firstArrivalNs_ = arrivalNs;
    if (arrivalNs > lastArrivalNs_) lastArrivalNs_ = arrivalNs;
  }
  bytesReceived_ += payloadBytes + overheadBytes;

  Verdict verdict{tracker_.record(sequence), arrivalNs - sendTimeNs};
  const auto kind = verdict.arrival.kind;
  if (kind == SequenceTracker::Kind::kDuplicate || kind == SequenceTracker::Kind::kTooOld ||
      kind == SequenceTracker::Kind::kImplausible) {
    return verdict;
  }
  goodputBytes_ += payloadBytes;
  latency_.record(verdict.latencyNs);
  jitter_.record(sendTimeNs, arrivalNs);
  ipdv_.record(sequence, verdict.latencyNs);
  if (verdict.latencyNs > lateAboveNs_) {
    ++late_;
    verdict.late = true;
  }
  return verdict;
}

void StreamStats::finish(std::uint64_t sentCount) {
  sent_ = sentCount;
  finished_ = true;
}

void StreamStats::finish(std::uint64_t sentCount, std::int64_t elapsedNs) {
  finish(sentCount);
  givenElapsedNs_ = elapsedNs;
}

std::uint64_t StreamStats::lost() const {
  const std::uint64_t delivered = tracker_.unique();
  return sent_ > delivered ? sent_ - delivered : 0;
}

std::int64_t StreamStats::elapsedNs() const {
  if (givenElapsedNs_) return *givenElapsedNs_ > 0 ? *givenElapsedNs_ : 0;
  return lastArrivalNs_ - firstArrivalNs_;
}

namespace {

double perSecond(double amount, std::int64_t elapsedNs) {
  return elapsedNs <= 0 ? 0.0 : amount * 1e9 / static_cast<double>(elapsedNs);
}

}  // namespace

double StreamStats::throughputMbps() const {
  return perSecond(static_cast<double>(bytesReceived_) * 8.0, elapsedNs()) / 1e6;
}

double StreamStats::goodputMbps() const {
  return perSecond(static_cast<double>(goodputBytes_) * 8.0, elapsedNs()) / 1e6;
}

double StreamStats::deliveredPerS() const {
  return perSecond(static_cast<double>(delivered()), elapsedNs());
}

}  // namespace pigeon::metrics
