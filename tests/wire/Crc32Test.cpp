#include "wire/Crc32.h"

#include <gtest/gtest.h>

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
