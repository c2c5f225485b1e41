#pragma once

#include "wire/Bytes.h"

#include <cstdint>

namespace pigeon::wire {

// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), as zlib computes it.
// Pass the previous result as `crc` to continue over several spans.
std::uint32_t crc32(ByteSpan data, std::uint32_t crc = 0);

}  // namespace pigeon::wire
