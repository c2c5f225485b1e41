#pragma once

#include <cstdint>
#include <string>

namespace pigeon::filexfer {

// "12.0 of 64.0 MiB (19%), 850.1 MB/s, ETA 3 s": for a progress line.
std::string progressText(std::uint64_t doneBytes, std::uint64_t totalBytes, double seconds);

// Megabytes (10^6 bytes) per second, 0 for no time.
double megabytesPerSecond(std::uint64_t bytes, double seconds);

}  // namespace pigeon::filexfer
