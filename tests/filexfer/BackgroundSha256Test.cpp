#include "filexfer/BackgroundSha256.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <vector>

using pigeon::filexfer::BackgroundSha256;
using pigeon::filexfer::Sha256;
using pigeon::filexfer::toHex;
using pigeon::wire::ByteSpan;

TEST(BackgroundSha256, NothingGivenIsTheDigestOfNothing) {
  BackgroundSha256 hash;
  EXPECT_EQ(toHex(hash.finish()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(BackgroundSha256, AKnownVector) {
  BackgroundSha256 hash;
  const std::vector<std::uint8_t> abc{'a', 'b', 'c'};
  hash.update(ByteSpan(abc.data(), abc.size()));
  EXPECT_EQ(toHex(hash.finish()),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// Pieces of every size, from nothing to several of its buffers at once,
// give the digest of the bytes in the order given, as Sha256 does inline.
TEST(BackgroundSha256, PiecesOfAnySizeGiveTheDigestOfTheWhole) {
  std::mt19937_64 random(42);
  std::vector<std::uint8_t> data(5 * BackgroundSha256::kBufferBytes + 12345);
  for (auto& byte : data) byte = static_cast<std::uint8_t>(random());
  Sha256 inline_;
  inline_.update(ByteSpan(data.data(), data.size()));
  const auto expected = inline_.finish();

  for (const std::size_t largest :
       {std::size_t{3}, std::size_t{1412}, BackgroundSha256::kBufferBytes,
        3 * BackgroundSha256::kBufferBytes + 7}) {
    BackgroundSha256 hash;
    std::uniform_int_distribution<std::size_t> size(0, largest);
    std::size_t at = 0;
    for (int pieces = 0; at < data.size() && pieces < 50'000'000; ++pieces) {
      const std::size_t n = std::min(size(random), data.size() - at);
      hash.update(ByteSpan(data.data() + at, n));
      at += n;
    }
    ASSERT_EQ(at, data.size());
    EXPECT_EQ(hash.finish(), expected) << "pieces up to " << largest << " bytes";
  }
}

// Whole buffers and nothing over: finish() has nothing left to queue.
TEST(BackgroundSha256, BytesThatEndOnABufferBoundaryGiveTheDigestOfTheWhole) {
  std::vector<std::uint8_t> data(2 * BackgroundSha256::kBufferBytes);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 7 + 3);
  Sha256 inline_;
  inline_.update(ByteSpan(data.data(), data.size()));
  BackgroundSha256 hash;
  hash.update(ByteSpan(data.data(), BackgroundSha256::kBufferBytes));
  hash.update(
      ByteSpan(data.data() + BackgroundSha256::kBufferBytes, BackgroundSha256::kBufferBytes));
  EXPECT_EQ(hash.finish(), inline_.finish());
}

TEST(BackgroundSha256, UpdateAfterFinishIsRefused) {
  BackgroundSha256 hash;
  hash.finish();
  const std::uint8_t byte = 1;
  EXPECT_THROW(hash.update(ByteSpan(&byte, 1)), std::logic_error);
}

// A receiver that fails part way leaves without finish(): that must not wait
// for, or hash, what is still queued.
TEST(BackgroundSha256, GoingAwayWithoutFinishingEnds) {
  std::vector<std::uint8_t> data(8 * BackgroundSha256::kBufferBytes, 0x5a);
  BackgroundSha256 hash;
  hash.update(ByteSpan(data.data(), data.size()));
}
