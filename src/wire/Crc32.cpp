#include "wire/Crc32.h"

#include <array>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define PIGEON_CRC32_CLMUL 1
#include <immintrin.h>
#endif

namespace pigeon::wire {
namespace {

// Slicing-by-8: eight tables let the loop take eight bytes a step instead of
// one. kTables[0] is the classic byte-at-a-time table.
using Tables = std::array<std::array<std::uint32_t, 256>, 8>;

constexpr Tables makeTables() {
  Tables t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[0][i] = c;
  }
  for (std::size_t i = 0; i < 256; ++i) {
    for (std::size_t s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFF];
  }
  return t;
}

constexpr Tables kTables = makeTables();

// The running (pre-inverted) state over `n` bytes at `p`, by table.
std::uint32_t updateTables(std::uint32_t crc, const std::uint8_t* p, std::size_t n) {
  while (n >= 8) {
    // Bytes are combined one by one, so the result is the same on any
    // byte order.
    const std::uint32_t lo = crc ^ (std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 |
                                    std::uint32_t{p[2]} << 16 | std::uint32_t{p[3]} << 24);
    crc = kTables[7][lo & 0xFF] ^ kTables[6][(lo >> 8) & 0xFF] ^ kTables[5][(lo >> 16) & 0xFF] ^
          kTables[4][lo >> 24] ^ kTables[3][p[4]] ^ kTables[2][p[5]] ^ kTables[1][p[6]] ^
          kTables[0][p[7]];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) crc = kTables[0][(crc ^ *p++) & 0xFF] ^ (crc >> 8);
  return crc;
}

#ifdef PIGEON_CRC32_CLMUL

// The running state over `n` bytes at `p`, n >= 16 and a multiple of 16, by
// folding 128-bit lanes. The constants are x^k mod P(x) for the reflected
// IEEE polynomial, bit-reflected and shifted as the paper's section 4
// derives them: k1/k2 fold a lane 512 bits ahead (four lanes at a time),
// k3/k4 fold 128 bits ahead, k5 folds 96 bits into 64, and the last pair is
// P(x) and the Barrett constant floor(x^64 / P(x)).
#define PIGEON_CLMUL_TARGET __attribute__((target("pclmul,sse4.1")))

PIGEON_CLMUL_TARGET inline __m128i load(const std::uint8_t* at) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(at));
}

// One lane times x^(distance): its low and high halves multiplied by the two
// constants of `k`, added (XOR) to the data that far ahead.
PIGEON_CLMUL_TARGET inline __m128i fold(__m128i lane, __m128i k, __m128i ahead) {
  const __m128i low = _mm_clmulepi64_si128(lane, k, 0x00);
  const __m128i high = _mm_clmulepi64_si128(lane, k, 0x11);
  return _mm_xor_si128(_mm_xor_si128(low, high), ahead);
}

PIGEON_CLMUL_TARGET std::uint32_t updateCarryless(std::uint32_t crc, const std::uint8_t* p,
                                                  std::size_t n) {
  const __m128i k1k2 = _mm_set_epi64x(0x01c6e41596, 0x0154442bd4);
  const __m128i k3k4 = _mm_set_epi64x(0x00ccaa009e, 0x01751997d0);
  const __m128i k5 = _mm_set_epi64x(0, 0x0163cd6124);
  const __m128i poly = _mm_set_epi64x(0x01f7011641, 0x01db710641);
  const __m128i low32 = _mm_setr_epi32(~0, 0, ~0, 0);

  __m128i x = _mm_xor_si128(load(p), _mm_cvtsi32_si128(static_cast<int>(crc)));
  if (n >= 64) {
    // Four lanes side by side, 64 bytes a step, then folded into one.
    __m128i x2 = load(p + 16);
    __m128i x3 = load(p + 32);
    __m128i x4 = load(p + 48);
    p += 64;
    n -= 64;
    while (n >= 64) {
      x = fold(x, k1k2, load(p));
      x2 = fold(x2, k1k2, load(p + 16));
      x3 = fold(x3, k1k2, load(p + 32));
      x4 = fold(x4, k1k2, load(p + 48));
      p += 64;
      n -= 64;
    }
    x = fold(x, k3k4, x2);
    x = fold(x, k3k4, x3);
    x = fold(x, k3k4, x4);
  } else {
    p += 16;
    n -= 16;
  }
  for (; n >= 16; p += 16, n -= 16) x = fold(x, k3k4, load(p));

  // 128 bits to 64, then 64 to 32 by Barrett reduction.
  __m128i t = _mm_clmulepi64_si128(x, k3k4, 0x10);
  x = _mm_xor_si128(_mm_srli_si128(x, 8), t);
  t = _mm_srli_si128(x, 4);
  x = _mm_xor_si128(_mm_clmulepi64_si128(_mm_and_si128(x, low32), k5, 0x00), t);
  t = _mm_clmulepi64_si128(_mm_and_si128(x, low32), poly, 0x10);
  t = _mm_clmulepi64_si128(_mm_and_si128(t, low32), poly, 0x00);
  return static_cast<std::uint32_t>(_mm_extract_epi32(_mm_xor_si128(x, t), 1));
}

// Asked once; __builtin_cpu_init() first, as this runs among the static
// constructors.
const bool kHasCarryless = [] {
  __builtin_cpu_init();
  return __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
}();

#else
constexpr bool kHasCarryless = false;
#endif

}  // namespace

std::uint32_t crc32(ByteSpan data, std::uint32_t crc) {
  crc = ~crc;
  const std::uint8_t* p = data.data();
  std::size_t n = data.size();
#ifdef PIGEON_CRC32_CLMUL
  if (n >= 16 && kHasCarryless) {
    const std::size_t whole = n & ~std::size_t{15};
    crc = updateCarryless(crc, p, whole);
    p += whole;
    n -= whole;
  }
#endif
  return ~updateTables(crc, p, n);
}

namespace detail {

std::uint32_t crc32Tables(ByteSpan data, std::uint32_t crc) {
  return ~updateTables(~crc, data.data(), data.size());
}

bool crc32UsesCarrylessMultiply() { return kHasCarryless; }

}  // namespace detail

}  // namespace pigeon::wire
