#pragma once

#include "wire/Bytes.h"

#include <cstdint>

namespace pigeon::wire {

// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), as zlib computes it.
// Pass the previous result as `crc` to continue over several spans.
//
// On x86-64 CPUs with PCLMULQDQ, spans of 16 bytes or more are folded with
// carry-less multiplies (Intel, "Fast CRC Computation for Generic
// Polynomials Using PCLMULQDQ Instruction", 2009): the same polynomial and
// the same result, about four times faster on a bench frame. Elsewhere, and
// for what is left over, eight tables (slicing-by-8).
std::uint32_t crc32(ByteSpan data, std::uint32_t crc = 0);

namespace detail {
// The table-driven path alone, whatever the CPU: what crc32() must agree
// with (tests, micro benchmark).
std::uint32_t crc32Tables(ByteSpan data, std::uint32_t crc = 0);
// True when crc32() folds with PCLMULQDQ on this CPU.
bool crc32UsesCarrylessMultiply();
}  // namespace detail

}  // namespace pigeon::wire
