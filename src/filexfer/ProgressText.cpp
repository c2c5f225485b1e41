#include "filexfer/ProgressText.h"

#include <cstdio>

namespace pigeon::filexfer {

double megabytesPerSecond(std::uint64_t bytes, double seconds) {
  return seconds > 0 ? static_cast<double>(bytes) / 1e6 / seconds : 0.0;
}

std::string progressText(std::uint64_t doneBytes, std::uint64_t totalBytes, double seconds) {
  constexpr double kMiB = 1024.0 * 1024.0;
  const double rate = megabytesPerSecond(doneBytes, seconds);
  const double percent =
      totalBytes == 0 ? 100.0
                      : 100.0 * static_cast<double>(doneBytes) / static_cast<double>(totalBytes);
  char text[160];
  if (rate > 0 && doneBytes < totalBytes) {
    const double eta = static_cast<double>(totalBytes - doneBytes) / 1e6 / rate;
    std::snprintf(text, sizeof text, "%.1f of %.1f MiB (%.0f%%), %.1f MB/s, ETA %.0f s",
                  static_cast<double>(doneBytes) / kMiB, static_cast<double>(totalBytes) / kMiB,
                  percent, rate, eta);
  } else {
    std::snprintf(text, sizeof text, "%.1f of %.1f MiB (%.0f%%), %.1f MB/s",
                  static_cast<double>(doneBytes) / kMiB, static_cast<double>(totalBytes) / kMiB,
                  percent, rate);
  }
  return text;
}

}  // namespace pigeon::filexfer
