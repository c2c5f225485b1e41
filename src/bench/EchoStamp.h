#pragma once

#include "wire/Bytes.h"

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

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

// `line` (without its "\n") as the timestamp echo answers it: the local time
// `when` as ctime(3) writes it, in brackets, then the line and "\n".
inline std::string stampedLine(std::string_view line, std::time_t when) {
  std::tm local{};
  ::localtime_r(&when, &local);
  char stamp[64];
  const std::size_t n = std::strftime(stamp, sizeof stamp, "[%a %b %e %H:%M:%S %Y] ", &local);
  std::string out(stamp, n);
  out.append(line);
  out.push_back('\n');
  return out;
}

}  // namespace pigeon::bench
