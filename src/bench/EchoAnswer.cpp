#include "bench/EchoAnswer.h"

#include "bench/BenchSink.h"
#include "wire/Clock.h"

#include <algorithm>

namespace pigeon::bench {

using wire::MessageType;

std::optional<EchoReply> answerFrame(EchoProbes& peer, const wire::Frame& frame,
                                     std::int64_t nowNs) {
  if ((frame.header.flags & wire::flags::kReply) != 0) return std::nullopt;
  EchoReply reply{frame.header, {}};
  reply.header.flags |= wire::flags::kReply;
  if (frame.header.type == MessageType::kEcho) {
    peer.probes.record(frame.header.sequence);
    reply.header.type = MessageType::kEchoReply;
    reply.payload.assign(frame.payload.begin(), frame.payload.end());
    EchoStamps stamps;
    stamps.receivedNs = nowNs;
    stamps.received = peer.probes.unique();
    stamps.seenBelow = peer.seen.record(frame.header.sequence);
    stamps.repliedNs = std::max<std::int64_t>(nowNs, wire::steadyNowNs());
    stampEcho(reply.payload, stamps);
    return reply;
  }
  if (frame.header.type == MessageType::kReport) {
    reply.header.sendTimeNs = static_cast<std::uint64_t>(nowNs);
    reply.payload = encodeCount(peer.probes.unique());
    return reply;
  }
  return std::nullopt;
}

}  // namespace pigeon::bench
