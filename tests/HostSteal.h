#pragma once

// For tests that bound timing or rates: the CPU ticks the hypervisor gave to
// others (/proc/stat's steal). On a VM the host can take a vCPU away for
// milliseconds, which no timing inside survives (measured on the
// development VM: 10-62 % steal while both cores were busy, 0-2 % idle).
// Such a test judges only what it measured while the host left it alone.

#include <cstdint>
#include <fstream>
#include <string>

namespace pigeon::testing {

struct CpuTicks {
  std::uint64_t steal = 0;
  std::uint64_t total = 0;
};

inline CpuTicks cpuTicks() {
  std::ifstream stat("/proc/stat");
  std::string cpu;
  stat >> cpu;  // "cpu": user nice system idle iowait irq softirq steal ...
  CpuTicks t;
  std::uint64_t value = 0;
  for (int field = 0; field < 8 && stat >> value; ++field) {
    t.total += value;
    if (field == 7) t.steal = value;
  }
  return t;
}

// The share of CPU time (%) the host took since `from`.
inline double stealPercentSince(const CpuTicks& from) {
  const CpuTicks now = cpuTicks();
  const std::uint64_t total = now.total - from.total;
  return total == 0
             ? 0.0
             : 100.0 * static_cast<double>(now.steal - from.steal) / static_cast<double>(total);
}

// A measurement during which the host took more than this is no judgement.
inline constexpr double kMostStealPercent = 5.0;

}  // namespace pigeon::testing
