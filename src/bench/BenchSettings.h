#pragma once

#include "link/LinkSpec.h"
#include "transport/TransportKind.h"
#include "transport/rudp/RudpOptions.h"

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
  std::vector<transport::TransportKind> transports = transport::allTransportKinds();
  std::vector<std::size_t> sizesBytes = {64};  // on the wire, pigeon's header included
  std::uint64_t count = 10'000;                // messages per transport and size
  std::optional<double> durationS;             // instead of count, if given
  double ratePerS = 10'000;                    // 0: as fast as possible
  std::size_t burstSize = 100;
  double probeRatePerS = 100;          // under-load: probes per second
  std::optional<double> deadlineMs;    // later than this is "late"
  std::string target;                  // HOST:PORT of a pigeon echo; empty: local
  std::string linkSpec;                // the --link text as given, for the report
  std::optional<link::LinkSpec> link;  // parsed and seeded (withFallbackSeed); none: no relay
  std::uint64_t seed = 1;              // --seed: seeds what the spec leaves unseeded
  std::string labSpec;                 // a lab link for every transport
  std::string labEngine = "tun";       // --engine: tun or netem (lab::parseEngine)
  bool nagle = false;                  // TCP: keep Nagle's algorithm on
  std::string congestionControl;       // TCP: empty = the kernel's default
  bool udpSegmentation = true;         // UDP: batches as one GSO send (docs/bench.md)
  bool kernelStamps = false;           // UDP one-way: arrivals are the kernel's stamps
  transport::rudp::ArqScheme arq = transport::rudp::ArqScheme::kSelectiveRepeat;
  transport::rudp::DeliveryMode delivery = transport::rudp::DeliveryMode::kOrdered;
  double drainMs = 500;                  // wait for stragglers after the last send
  std::optional<double> probeTimeoutMs;  // pingpong: fixed wait for a reply; none: adaptive
  std::string logPath;                   // per-message JSON lines
  bool progress = false;                 // progress on stderr
};

std::string patternName(Pattern pattern);
std::optional<Pattern> parsePattern(const std::string& text);

}  // namespace pigeon::bench
