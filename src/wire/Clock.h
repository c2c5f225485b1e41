#pragma once

#include <chrono>
#include <cstdint>

namespace pigeon::wire {

// The steady clock every timestamp on the wire uses: nanoseconds since an
// arbitrary epoch shared by all processes on one host (CLOCK_MONOTONIC), so
// one-way delay is exact between processes or namespaces of the same host.
inline std::int64_t steadyNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace pigeon::wire
