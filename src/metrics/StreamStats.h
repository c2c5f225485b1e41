#pragma once

#include "metrics/InterarrivalJitter.h"
#include "metrics/Ipdv.h"
#include "metrics/LatencyHistogram.h"
#include "metrics/SequenceTracker.h"

#include <cstddef>
#include <cstdint>
#include <optional>

namespace pigeon::metrics {

// Everything the receiver measures about one stream, in O(1) memory per
// message (docs/results.md gives every formula). No clock inside: every time
// is passed in, in nanoseconds of the same steady clock.
//
// Per arrival, SequenceTracker classifies the sequence number. Only a unique
// arrival (in order, after a gap, or reordered) is delivered: it alone
// feeds the latency histogram, jitter, IPDV, late and goodput. A duplicate
// is counted and otherwise ignored, so it never stands in for a lost
// message. An arrival too far below the highest to classify (tooOld) is
// counted apart and not delivered, and so is one above the sequence ceiling
// (implausible). Every arrival's bytes count towards throughput.
//
// "Latency" is arrivalNs - sendTimeNs: one-way where sender and receiver
// share a clock, round trip when the stream is echo replies timed against
// the original send time. Not thread safe.
class StreamStats {
 public:
  struct Verdict {
    SequenceTracker::Arrival arrival;
    std::int64_t latencyNs = 0;  // arrivalNs - sendTimeNs
    bool late = false;           // delivered, but after the deadline
  };

  // A unique arrival whose latency is above `deadlineNs` is late (it still
  // counts as delivered). Without a deadline, nothing is late.
  void setDeadlineNs(std::int64_t deadlineNs);
  std::optional<std::int64_t> deadlineNs() const { return deadlineNs_; }

  // The highest sequence number the sender can send; an arrival above it
  // is counted implausible() and changes nothing else (SequenceTracker).
  void setSequenceCeiling(std::uint64_t highestSequence) { tracker_.setCeiling(highestSequence); }

  // One received message. `payloadBytes` count towards goodput when the
  // arrival is unique; `payloadBytes + overheadBytes` (headers, if the
  // caller knows them) count towards throughput for every arrival.
  Verdict recordArrival(std::uint64_t sequence, std::int64_t sendTimeNs, std::int64_t arrivalNs,
                        std::size_t payloadBytes, std::size_t overheadBytes = 0);

  // The stream is over (after the caller's drain timeout) and the sender
  // says it sent `sentCount` messages. Elapsed time is the span from the
  // first to the last arrival, or `elapsedNs` when given.
  void finish(std::uint64_t sentCount);
  void finish(std::uint64_t sentCount, std::int64_t elapsedNs);
  bool finished() const { return finished_; }

  // Counts. lost() and sent() are 0 until finish().
  std::uint64_t sent() const { return sent_; }
  std::uint64_t arrivals() const { return arrivals_; }  // every call, duplicates included
  std::uint64_t delivered() const { return tracker_.unique(); }
  std::uint64_t lost() const;  // sent - delivered, at least 0
  std::uint64_t duplicates() const { return tracker_.duplicates(); }
  std::uint64_t reordered() const { return tracker_.reordered(); }
  std::uint64_t reorderExtent() const { return tracker_.maxReorderExtent(); }
  std::uint64_t tooOld() const { return tracker_.tooOld(); }
  std::uint64_t implausible() const { return tracker_.implausible(); }
  std::uint64_t late() const { return late_; }

  // Bytes and rates over elapsedNs(); rates are 0 when elapsedNs() is 0.
  std::uint64_t bytesReceived() const { return bytesReceived_; }
  std::uint64_t goodputBytes() const { return goodputBytes_; }
  std::int64_t firstArrivalNs() const { return firstArrivalNs_; }
  std::int64_t lastArrivalNs() const { return lastArrivalNs_; }
  std::int64_t elapsedNs() const;
  double throughputMbps() const;
  double goodputMbps() const;
  double deliveredPerS() const;

  const LatencyHistogram& latency() const { return latency_; }
  const InterarrivalJitter& jitter() const { return jitter_; }
  const Ipdv& ipdv() const { return ipdv_; }
  const SequenceTracker& sequences() const { return tracker_; }

 private:
  SequenceTracker tracker_;
  LatencyHistogram latency_;
  InterarrivalJitter jitter_;
  Ipdv ipdv_;
  std::optional<std::int64_t> deadlineNs_;
  std::int64_t lateAboveNs_ = INT64_MAX;  // the deadline, or "never"
  std::uint64_t late_ = 0;
  std::uint64_t arrivals_ = 0;
  std::uint64_t bytesReceived_ = 0;
  std::uint64_t goodputBytes_ = 0;
  std::int64_t firstArrivalNs_ = 0;
  std::int64_t lastArrivalNs_ = 0;
  std::uint64_t sent_ = 0;
  std::optional<std::int64_t> givenElapsedNs_;
  bool finished_ = false;
};

}  // namespace pigeon::metrics
