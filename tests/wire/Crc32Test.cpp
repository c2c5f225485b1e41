#include "wire/Crc32.h"

#include <gtest/gtest.h>

#include <vector>

using pigeon::wire::asBytes;
using pigeon::wire::crc32;

TEST(Crc32, MatchesTheStandardCheckValue) {
  // The check value every CRC-32/IEEE implementation agrees on.
  EXPECT_EQ(crc32(asBytes("123456789")), 0xCBF43926u);
}

TEST(Crc32, ContinuesAcrossSpans) {
  const auto whole = crc32(asBytes("hello, pigeon"));
  const auto split = crc32(asBytes(", pigeon"), crc32(asBytes("hello")));
  EXPECT_EQ(whole, split);
}

TEST(Crc32, AgreesWithTheBytewiseDefinitionOnEveryLengthAndSplit) {
  // The plain bitwise CRC-32, as the standard defines it.
  const auto reference = [](pigeon::wire::ByteSpan data) {
    std::uint32_t c = 0xFFFFFFFFu;
    for (std::uint8_t b : data) {
      c ^= b;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    }
    return ~c;
  };
  std::vector<std::uint8_t> bytes(300);
  std::uint32_t x = 12345;
  for (auto& b : bytes) {
    x = x * 1103515245u + 12345u;
    b = static_cast<std::uint8_t>(x >> 16);
  }
  for (std::size_t n = 0; n <= bytes.size(); ++n) {
    const pigeon::wire::ByteSpan span(bytes.data(), n);
    EXPECT_EQ(crc32(span), reference(span)) << n;
    const std::size_t half = n / 3;
    EXPECT_EQ(crc32(span.subspan(half), crc32(span.first(half))), reference(span)) << n;
  }
}

TEST(Crc32, FoldingAgreesWithTheTablesAtEveryAlignmentLengthAndStart) {
  // crc32() folds 16-byte blocks with carry-less multiplies where the CPU
  // can, and uses the tables for the rest: both must give the same value
  // whatever the alignment, the length (1 to 4 lanes, with and without the
  // 64-byte loop) and the CRC carried in.
  std::vector<std::uint8_t> bytes(600);
  std::uint32_t x = 777;
  for (auto& b : bytes) {
    x = x * 1103515245u + 12345u;
    b = static_cast<std::uint8_t>(x >> 16);
  }
  for (std::size_t offset = 0; offset < 16; ++offset) {
    for (std::size_t n = 0; n + offset <= 300; ++n) {
      const pigeon::wire::ByteSpan span(bytes.data() + offset, n);
      for (std::uint32_t start : {0u, 0xFFFFFFFFu, 0x12345678u}) {
        ASSERT_EQ(crc32(span, start), pigeon::wire::detail::crc32Tables(span, start))
            << "offset " << offset << " length " << n << " start " << start;
      }
    }
  }
  const pigeon::wire::ByteSpan all(bytes.data(), bytes.size());
  EXPECT_EQ(crc32(all), pigeon::wire::detail::crc32Tables(all));
}
