#include "filexfer/FileSender.h"

#include <gtest/gtest.h>

#include <optional>

using pigeon::filexfer::rudpBytesInFlight;
using pigeon::filexfer::rudpOptionsForFile;
using pigeon::transport::rudp::ArqScheme;

namespace {
constexpr std::size_t kKiB = 1024;
constexpr std::size_t kMiB = 1024 * kKiB;
}  // namespace

// Defect: a file went over rudp with 128 KiB in flight (4 chunks of 32 KiB)
// whatever the receiver's socket could hold, so on loopback the transfer
// waited on round trips: 1 GiB in four alternating rounds, 361-376 MB/s
// with 4 chunks in flight against 379-502 with 64.
TEST(RudpFileWindow, FillsHalfOfWhatTheReceiversSocketMayHoldUpToTwoMebibytes) {
  // rudp asks for 4 MiB and the kernel grants up to rmem_max, doubled: a
  // window of rmem_max bytes is half of what the receiver's socket holds.
  EXPECT_EQ(rudpBytesInFlight(4 * kMiB), 2 * kMiB);
  EXPECT_EQ(rudpBytesInFlight(64 * kMiB), 2 * kMiB);
  EXPECT_EQ(rudpBytesInFlight(212'992), 212'992u);      // Debian's default rmem_max
  EXPECT_EQ(rudpBytesInFlight(16 * kKiB), 128 * kKiB);  // never below the old window
  EXPECT_EQ(rudpBytesInFlight(std::nullopt), 128 * kKiB);
}

TEST(RudpFileWindow, CountsTheWindowInChunksOfTheTransfer) {
  EXPECT_EQ(rudpOptionsForFile(32 * kKiB, std::nullopt, ArqScheme::kSelectiveRepeat, 4 * kMiB)
                .sendWindowMessages,
            64u);
  EXPECT_EQ(rudpOptionsForFile(32 * kKiB, std::nullopt, ArqScheme::kSelectiveRepeat, 212'992)
                .sendWindowMessages,
            6u);
  // One IP packet per chunk (MTU 1500): 2 MiB would be 1,485, rudp's most
  // is 1,024.
  EXPECT_EQ(rudpOptionsForFile(1412, std::nullopt, ArqScheme::kSelectiveRepeat, 4 * kMiB)
                .sendWindowMessages,
            1024u);
  EXPECT_EQ(
      rudpOptionsForFile(1 * kMiB, std::nullopt, ArqScheme::kGoBackN, 4 * kMiB).sendWindowMessages,
      2u);
  // --window is taken as given.
  EXPECT_EQ(
      rudpOptionsForFile(32 * kKiB, 4u, ArqScheme::kSelectiveRepeat, 4 * kMiB).sendWindowMessages,
      4u);
  EXPECT_EQ(
      rudpOptionsForFile(32 * kKiB, 1000u, ArqScheme::kSelectiveRepeat, 212'992).sendWindowMessages,
      1000u);
}
