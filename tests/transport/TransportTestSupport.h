#pragma once

// Helpers shared by the transport tests.

#include "transport/Transport.h"
#include "wire/Clock.h"
#include "wire/Header.h"

#include <Poco/Timespan.h>

#include <chrono>
#include <string>

namespace pigeon::testing {

inline const Poco::Timespan kWait(2, 0);  // an upper bound only: loopback answers at once

inline wire::Header dataHeader(std::uint64_t sequence, std::uint16_t flagBits = 0,
                               std::uint32_t streamId = 5) {
  wire::Header h;
  h.type = wire::MessageType::kData;
  h.flags = flagBits;
  h.streamId = streamId;
  h.sequence = sequence;
  h.sendTimeNs = static_cast<std::uint64_t>(wire::steadyNowNs());
  return h;
}

inline std::string text(const wire::Bytes& bytes) { return {bytes.begin(), bytes.end()}; }

// Receives until something other than a timeout arrives, bounded in count and
// time: a receive may end early with kTimeout (part of a frame, a stranger's
// datagram).
inline transport::Incoming receiveSomething(transport::Transport& t,
                                            std::chrono::seconds limit = std::chrono::seconds(5)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  transport::Incoming in;
  for (int i = 0; i < 10000 && std::chrono::steady_clock::now() < deadline; ++i) {
    in = t.receive(Poco::Timespan(0, 200'000));
    if (in.kind != transport::Incoming::Kind::kTimeout) return in;
  }
  return in;
}

}  // namespace pigeon::testing
