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

// Where the probe has room for them (a 64-byte probe has exactly), a
// reply carries three more big-endian 8-byte fields after the receive time,
// added compatibly: a probe's payload is zeros, so an echo that writes only
// the receive time leaves them 0, which reads as "not given".
//   [8, 16)   the reflector's time when it built the reply (its processing
//             time is this minus the receive time); never 0 when given
//   [16, 24)  distinct probes it has received from this peer, this one included
//   [24, 32)  which of the 64 sequence numbers below this probe's it has
//             received: bit i (least significant first) is sequence - 1 - i
inline constexpr std::size_t kEchoFullStampBytes = 32;

struct EchoStamps {
  std::int64_t receivedNs = 0;
  std::int64_t repliedNs = 0;   // 0: not given
  std::uint64_t received = 0;   // with repliedNs
  std::uint64_t seenBelow = 0;  // with repliedNs
};

inline void stampEcho(wire::Bytes& payload, std::int64_t reflectorNs) {
  if (payload.size() >= kEchoStampBytes) {
    wire::putU64(payload.data(), static_cast<std::uint64_t>(reflectorNs));
  }
}

// The receive time and, where the probe has room, the other three fields.
inline void stampEcho(wire::Bytes& payload, const EchoStamps& stamps) {
  stampEcho(payload, stamps.receivedNs);
  if (payload.size() >= kEchoFullStampBytes && stamps.repliedNs != 0) {
    wire::putU64(payload.data() + 8, static_cast<std::uint64_t>(stamps.repliedNs));
    wire::putU64(payload.data() + 16, stamps.received);
    wire::putU64(payload.data() + 24, stamps.seenBelow);
  }
}

inline std::optional<std::int64_t> readEchoStamp(wire::ByteSpan payload) {
  if (payload.size() < kEchoStampBytes) return std::nullopt;
  return static_cast<std::int64_t>(wire::getU64(payload.data()));
}

// Every field the reply carries; repliedNs 0 when only the receive time is.
inline std::optional<EchoStamps> readEchoStamps(wire::ByteSpan payload) {
  const auto received = readEchoStamp(payload);
  if (!received) return std::nullopt;
  EchoStamps s;
  s.receivedNs = *received;
  if (payload.size() >= kEchoFullStampBytes) {
    s.repliedNs = static_cast<std::int64_t>(wire::getU64(payload.data() + 8));
    s.received = wire::getU64(payload.data() + 16);
    s.seenBelow = wire::getU64(payload.data() + 24);
  }
  return s;
}

// The reflector's side of seenBelow: the 64 sequence numbers below the
// highest it has received, kept as they arrive. Not thread safe.
class SeenWindow {
 public:
  // Records `sequence`; returns the bits for the 64 numbers below it.
  std::uint64_t record(std::uint64_t sequence) {
    if (!any_) {
      any_ = true;
      highest_ = sequence;
      bits_ = 0;
    } else if (sequence > highest_) {
      const std::uint64_t shift = sequence - highest_;
      // Bit 0 is highest - 1; the old highest becomes bit shift - 1.
      bits_ = shift >= 64 ? 0 : (bits_ << shift) | (std::uint64_t{1} << (shift - 1));
      highest_ = sequence;
    } else if (sequence < highest_ && highest_ - sequence <= 64) {
      bits_ |= std::uint64_t{1} << (highest_ - sequence - 1);
    }
    return below(sequence);
  }

 private:
  // The 64 numbers below `sequence`, from what is known below highest_.
  std::uint64_t below(std::uint64_t sequence) const {
    if (sequence == highest_) return bits_;
    const std::uint64_t gap = highest_ - sequence;  // sequence < highest_ here
    if (gap >= 64) return 0;
    // Bit i of the answer is sequence - 1 - i = highest - 1 - (i + gap).
    return bits_ >> gap;
  }

  bool any_ = false;
  std::uint64_t highest_ = 0;
  std::uint64_t bits_ = 0;
};

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
