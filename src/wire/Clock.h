#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <limits>

namespace pigeon::wire {

// The steady clock every timestamp on the wire uses: nanoseconds since an
// arbitrary epoch shared by all processes on one host (CLOCK_MONOTONIC), so
// one-way delay is exact between processes or namespaces of the same host.
inline std::int64_t steadyNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The realtime clock, on which the kernel stamps a socket's arrivals.
inline std::int64_t realtimeNowNs() {
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  return std::int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
}

// How far the steady clock is ahead of the realtime one, to turn a kernel
// stamp into a steady time. One reading of each clock, one after the other,
// is off by however long the thread was kept from the second (measured:
// 5 to 130 us a few times a run at 50,000 datagrams/s on loopback, which
// made one-way latencies negative); so the steady reading is bracketed by two realtime ones and
// taken against their midpoint, at most `kTries` times until a bracket is
// at most kTightNs wide, the narrowest kept. Its error is at most half that
// bracket's width. The readers are parameters for tests.
template <typename ReadRealNs, typename ReadSteadyNs>
std::int64_t steadyMinusRealNs(ReadRealNs readReal, ReadSteadyNs readSteady) {
  constexpr int kTries = 4;
  constexpr std::int64_t kTightNs = 1'000;
  std::int64_t offset = 0;
  std::int64_t narrowest = std::numeric_limits<std::int64_t>::max();
  for (int i = 0; i < kTries && narrowest > kTightNs; ++i) {
    const std::int64_t before = readReal();
    const std::int64_t steady = readSteady();
    const std::int64_t after = readReal();
    // A realtime clock stepped back between the two reads brackets nothing.
    const std::int64_t width =
        after >= before ? after - before : std::numeric_limits<std::int64_t>::max() - 1;
    if (width < narrowest) {
      narrowest = width;
      offset = steady - (before + (after >= before ? width / 2 : 0));
    }
  }
  return offset;
}

inline std::int64_t steadyMinusRealNs() { return steadyMinusRealNs(realtimeNowNs, steadyNowNs); }

}  // namespace pigeon::wire
