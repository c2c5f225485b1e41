#pragma once

#include "lab/Emulator.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace pigeon::lab {

// One direction's counters as a person reads them, one protocol after the
// other, e.g. "udp: seen=1000 dropped=52 queue-drops=0 ...; delay p50=25.0ms".
std::string describe(const DirectionCounters& counters);

// The same as named numbers for a result, e.g. {"udp_dropped", 52},
// {"delay_p99_us", 25000}; only protocols that saw a packet, and queue
// drops, duplicates, corruptions and reorderings only when not 0.
std::vector<std::pair<std::string, std::uint64_t>> counterFields(const DirectionCounters& counters);

}  // namespace pigeon::lab
