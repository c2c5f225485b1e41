#pragma once

#include "bench/EchoStamp.h"
#include "metrics/SequenceTracker.h"
#include "wire/Codec.h"

#include <cstdint>
#include <optional>

namespace pigeon::bench {

// What an echo keeps per probe stream (a UDP source socket, a TCP or rudp
// connection): the probes it got, for reports and the replies' stamps.
struct EchoProbes {
  metrics::SequenceTracker probes;
  SeenWindow seen;  // for the replies' seenBelow (EchoStamp.h)
};

struct EchoReply {
  wire::Header header;
  wire::Bytes payload;
};

// Answers one frame from `peer`, received at `nowNs`: a kEcho probe gets a
// kEchoReply of the same size, stamped (EchoStamp.h); a kReport gets how
// many distinct probes came. Nothing for other types, nor for a frame that
// is itself a reply (kReply flag: answering it is how a loop starts). Every
// reply carries kReply.
std::optional<EchoReply> answerFrame(EchoProbes& peer, const wire::Frame& frame,
                                     std::int64_t nowNs);

}  // namespace pigeon::bench
