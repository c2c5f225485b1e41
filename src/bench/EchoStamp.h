#pragma once

#include "wire/Bytes.h"

#include <cstdint>
#include <optional>

namespace pigeon::bench {

// An echo reply carries the reflector's receive time (its steady clock, ns)
// in the first 8 bytes of the payload, big-endian, when the probe has room
// for it: the reply is never larger than the probe (no amplification).
inline constexpr std::size_t kEchoStampBytes = 8;

inline void stampEcho(wire::Bytes& payload, std::int64_t reflectorNs) {
  if (payload.size() >= kEchoStampBytes) {
    wire::putU64(payload.data(), static_cast<std::uint64_t>(reflectorNs));
  }
}

inline std::optional<std::int64_t> readEchoStamp(wire::ByteSpan payload) {
  if (payload.size() < kEchoStampBytes) return std::nullopt;
  return static_cast<std::int64_t>(wire::getU64(payload.data()));
}

}  // namespace pigeon::bench
