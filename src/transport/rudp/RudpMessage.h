#pragma once

#include "wire/Bytes.h"
#include "wire/Header.h"

#include <cstdint>

namespace pigeon::transport::rudp {

// A message as the application sent it and as the peer's application gets
// it: the user's type, stream id, sequence and send time travel unchanged
// (the send time is that of the first transmission when the sender left it
// 0), whatever rudp did to carry them. Plain value.
struct RudpMessage {
  wire::Header header;  // flags 0; payloadLength == payload.size()
  wire::Bytes payload;
  std::int64_t deliveredNs = 0;  // receiver: when it became deliverable (in order, if ordered)
};

// A sent message the peer acknowledged (selectively or cumulatively), for
// a chat that marks each message when it arrived. Plain value.
struct AckedMessage {
  std::uint32_t streamId = 0;  // as the user gave them
  std::uint64_t sequence = 0;
  std::uint64_t sendTimeNs = 0;
  std::int64_t ackedNs = 0;         // when the acknowledgement arrived
  std::uint32_t transmissions = 0;  // 1: never retransmitted
};

}  // namespace pigeon::transport::rudp
