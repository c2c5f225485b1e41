#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pigeon::bench {

enum class Pattern {
  kStream,     // one way, paced at `rate`
  kPingPong,   // one message in flight; the echo answers
  kBurst,      // `burstSize` back to back, then a pause; `rate` on average
  kUnderLoad,  // latency probes beside a bulk flow on the same transport
};

// One bench run, as the user asked for it. A plain value; units in names.
struct BenchSettings {
  Pattern pattern = Pattern::kStream;
  std::vector<std::string> transports = {"udp", "tcp", "rudp"};
  std::vector<std::size_t> sizesBytes = {64};  // on the wire, pigeon's header included
  std::uint64_t count = 10'000;                // messages per transport and size
  std::optional<double> durationS;             // instead of count, if given
  double ratePerS = 10'000;                    // 0: as fast as possible
  std::size_t burstSize = 100;
  double probeRatePerS = 100;        // under-load: probes per second
  std::optional<double> deadlineMs;  // later than this is "late"
  std::string target;                // HOST:PORT of a pigeon echo; empty: local
  std::string linkSpec;              // impairment for UDP-based transports
  std::string labSpec;               // a lab link (engine tun) for every transport
  std::uint64_t seed = 1;
  bool nagle = false;                    // TCP: keep Nagle's algorithm on
  std::string congestionControl;         // TCP: empty = the kernel's default
  bool udpSegmentation = true;           // UDP: batches as one GSO send (docs/bench.md)
  std::string arq = "selective-repeat";  // rudp: stop-and-wait, go-back-n, selective-repeat
  std::string delivery = "ordered";      // rudp: ordered or unordered
  double drainMs = 500;                  // wait for stragglers after the last send
  std::string logPath;                   // per-message JSON lines
  bool progress = false;                 // progress on stderr
};

std::string patternName(Pattern pattern);
std::optional<Pattern> parsePattern(const std::string& text);

}  // namespace pigeon::bench
