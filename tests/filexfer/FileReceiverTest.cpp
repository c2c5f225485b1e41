#include "filexfer/FileOffer.h"
#include "filexfer/FileReceiver.h"
#include "filexfer/Sha256.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using pigeon::filexfer::ChunkRanges;
using pigeon::filexfer::FileOffer;
using pigeon::filexfer::FileReceiver;
using pigeon::filexfer::Sha256;
using pigeon::filexfer::Verdict;

namespace {

constexpr std::uint32_t kChunk = 1024;

// A fresh directory per test, removed after it.
class FileReceiverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("pigeon-filexfer-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    std::mt19937 random(7);
    data_.resize(10 * kChunk + 300);  // 11 chunks, the last short
    for (auto& b : data_) b = static_cast<std::uint8_t>(random());
    offer_.name = "data.bin";
    offer_.sizeBytes = data_.size();
    offer_.chunkBytes = kChunk;
    Sha256 hash;
    hash.update(data_);
    offer_.sha256 = hash.finish();
  }
  void TearDown() override { fs::remove_all(dir_); }

  pigeon::wire::ByteSpan chunk(std::uint64_t i) const {
    return pigeon::wire::ByteSpan(data_.data() + i * kChunk, offer_.chunkLength(i));
  }
  // Names in the directory, the temporary file included.
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename());
    return names;
  }

  fs::path dir_;
  std::vector<std::uint8_t> data_;
  FileOffer offer_;
};

}  // namespace

TEST(FileOffer, RoundTripsAndRefusesAHostileSizeBeforeAllocating) {
  FileOffer offer{"a.txt", 5000, 1024, {}};
  offer.sha256[0] = 0xAB;
  std::string why;
  const auto back = pigeon::filexfer::decodeOffer(pigeon::filexfer::encodeOffer(offer), why);
  ASSERT_TRUE(back) << why;
  EXPECT_EQ(*back, offer);
  EXPECT_EQ(back->chunkCount(), 5u);
  EXPECT_EQ(back->chunkLength(4), 904u);

  offer.sizeBytes = ~0ull;  // 16 EiB: would be a 2^54-bit bitmap
  EXPECT_FALSE(pigeon::filexfer::decodeOffer(pigeon::filexfer::encodeOffer(offer), why));
  offer.sizeBytes = 5000;
  offer.chunkBytes = 1;
  EXPECT_FALSE(pigeon::filexfer::decodeOffer(pigeon::filexfer::encodeOffer(offer), why));
  auto bytes = pigeon::filexfer::encodeOffer(FileOffer{"a.txt", 5000, 1024, {}});
  bytes.pop_back();  // name length says 5, 4 bytes follow
  EXPECT_FALSE(pigeon::filexfer::decodeOffer(bytes, why));
}

TEST_F(FileReceiverTest, StoresChunksThatArriveOutOfOrderWithDuplicates) {
  {
    FileReceiver receiver(dir_.string(), false);
    ASSERT_TRUE(receiver.offer(offer_));
    ASSERT_TRUE(receiver.offer(offer_));  // the repeated offer over udp
    for (const std::uint64_t i : {3, 0, 1, 10, 2, 2, 4, 9, 5, 6, 8, 7, 0})
      receiver.chunk(i, chunk(i));
    receiver.end(11);
    const auto outcome = receiver.finish();
    EXPECT_EQ(outcome.verdict, Verdict::kStored) << outcome.message;
    EXPECT_EQ(receiver.duplicates(), 2u);
  }
  EXPECT_EQ(entries(), std::vector<std::string>{"data.bin"});
  std::ifstream in(dir_ / "data.bin", std::ios::binary);
  const std::vector<std::uint8_t> got((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(got, data_);
}

TEST_F(FileReceiverTest, ListsMissingChunksExactlyAndKeepsNoFile) {
  FileReceiver receiver(dir_.string(), false);
  ASSERT_TRUE(receiver.offer(offer_));
  for (const std::uint64_t i : {0, 1, 2, 5, 9}) receiver.chunk(i, chunk(i));
  receiver.end(11);
  const auto outcome = receiver.finish();
  EXPECT_EQ(outcome.verdict, Verdict::kChunksMissing);
  EXPECT_EQ(outcome.missing, (ChunkRanges{{3, 4}, {6, 8}, {10, 10}}));
  EXPECT_NE(outcome.message.find("Missing chunks: 3-4, 6-8, 10"), std::string::npos)
      << outcome.message;
  EXPECT_TRUE(entries().empty());
}

TEST_F(FileReceiverTest, DiscardsAFileWhoseHashDoesNotMatch) {
  offer_.sha256[5] ^= 1;
  FileReceiver receiver(dir_.string(), false);
  ASSERT_TRUE(receiver.offer(offer_));
  for (std::uint64_t i = 0; i < 11; ++i) receiver.chunk(i, chunk(i));
  const auto outcome = receiver.finish();
  EXPECT_EQ(outcome.verdict, Verdict::kHashMismatch);
  EXPECT_NE(outcome.message.find("SHA-256 mismatch"), std::string::npos);
  EXPECT_TRUE(entries().empty());
}

TEST_F(FileReceiverTest, ChecksTheDigestTrailerWhenTheOfferLeftItOut) {
  const pigeon::filexfer::Sha256Digest digest = offer_.sha256;
  offer_.sha256 = {};  // the sender hashes while it sends: the digest comes last
  ASSERT_TRUE(offer_.announcesDigestTrailer());
  const pigeon::wire::ByteSpan trailer(digest.data(), digest.size());
  {
    FileReceiver receiver(dir_.string(), false);
    ASSERT_TRUE(receiver.offer(offer_));
    for (std::uint64_t i = 0; i < 11; ++i) receiver.chunk(i, chunk(i));
    receiver.chunk(11, trailer);
    receiver.chunk(11, trailer);  // a repeat changes nothing
    receiver.end(11);
    const auto outcome = receiver.finish();
    EXPECT_EQ(outcome.verdict, Verdict::kStored) << outcome.message;
    EXPECT_EQ(receiver.duplicates(), 1u);
    EXPECT_EQ(receiver.strays(), 0u);
  }
  EXPECT_EQ(entries(), std::vector<std::string>{"data.bin"});
}

TEST_F(FileReceiverTest, StoresNothingWhenTheDigestTrailerNeverCameOrDiffers) {
  pigeon::filexfer::Sha256Digest digest = offer_.sha256;
  offer_.sha256 = {};
  {
    FileReceiver receiver(dir_.string(), false);
    ASSERT_TRUE(receiver.offer(offer_));
    for (std::uint64_t i = 0; i < 11; ++i) receiver.chunk(i, chunk(i));
    receiver.end(11);
    const auto outcome = receiver.finish();
    EXPECT_EQ(outcome.verdict, Verdict::kChunksMissing) << outcome.message;
    EXPECT_NE(outcome.message.find("the SHA-256 sent after them did not"), std::string::npos)
        << outcome.message;
  }
  EXPECT_TRUE(entries().empty());
  digest[0] ^= 1;
  {
    FileReceiver receiver(dir_.string(), false);
    ASSERT_TRUE(receiver.offer(offer_));
    receiver.chunk(11, pigeon::wire::ByteSpan(digest.data(), 31));  // not a digest
    for (std::uint64_t i = 0; i < 11; ++i) receiver.chunk(i, chunk(i));
    receiver.chunk(11, pigeon::wire::ByteSpan(digest.data(), digest.size()));
    const auto outcome = receiver.finish();
    EXPECT_EQ(outcome.verdict, Verdict::kHashMismatch) << outcome.message;
    EXPECT_EQ(receiver.strays(), 1u);
  }
  EXPECT_TRUE(entries().empty());
}

TEST_F(FileReceiverTest, IgnoresChunksOfTheWrongLengthOrPastTheEnd) {
  FileReceiver receiver(dir_.string(), false);
  ASSERT_TRUE(receiver.offer(offer_));
  receiver.chunk(11, chunk(0));                                 // past the end
  receiver.chunk(10, chunk(0));                                 // last chunk is 300 bytes
  receiver.chunk(0, pigeon::wire::ByteSpan(data_.data(), 10));  // too short
  EXPECT_EQ(receiver.strays(), 3u);
  EXPECT_EQ(receiver.chunksReceived(), 0u);
}

TEST_F(FileReceiverTest, WritesToATemporaryNameUntilVerified) {
  FileReceiver receiver(dir_.string(), false);
  ASSERT_TRUE(receiver.offer(offer_));
  receiver.chunk(0, chunk(0));
  const auto names = entries();
  ASSERT_EQ(names.size(), 1u);
  EXPECT_EQ(names[0], ".data.bin.pigeon-part-" + std::to_string(::getpid()));
}

TEST_F(FileReceiverTest, RefusesToOverwriteUnlessForced) {
  std::ofstream(dir_ / "data.bin") << "old";
  {
    FileReceiver receiver(dir_.string(), false);
    EXPECT_FALSE(receiver.offer(offer_));
    EXPECT_EQ(receiver.outcome().verdict, Verdict::kRefused);
    EXPECT_NE(receiver.outcome().message.find("--force"), std::string::npos);
  }
  FileReceiver forced(dir_.string(), true);
  ASSERT_TRUE(forced.offer(offer_));
  for (std::uint64_t i = 0; i < 11; ++i) forced.chunk(i, chunk(i));
  EXPECT_EQ(forced.finish().verdict, Verdict::kStored);
  EXPECT_EQ(fs::file_size(dir_ / "data.bin"), data_.size());
}

TEST_F(FileReceiverTest, RefusesANameThatIsAPath) {
  offer_.name = "../escape.bin";
  FileReceiver receiver(dir_.string(), false);
  EXPECT_FALSE(receiver.offer(offer_));
  EXPECT_EQ(receiver.finish().verdict, Verdict::kRefused);
  EXPECT_TRUE(entries().empty());
  EXPECT_FALSE(fs::exists(dir_.parent_path() / "escape.bin"));
}

TEST_F(FileReceiverTest, RemovesThePartialFileWhenTheSenderGoesAway) {
  {
    FileReceiver receiver(dir_.string(), false);
    ASSERT_TRUE(receiver.offer(offer_));
    receiver.chunk(0, chunk(0));
    EXPECT_EQ(entries().size(), 1u);
  }  // never finished
  EXPECT_TRUE(entries().empty());
}

TEST_F(FileReceiverTest, SaysWhyWhenTheDirectoryCannotBeWritten) {
  if (::geteuid() == 0) GTEST_SKIP() << "root writes anywhere";
  fs::permissions(dir_, fs::perms::owner_read | fs::perms::owner_exec);
  FileReceiver receiver(dir_.string(), false);
  EXPECT_FALSE(receiver.offer(offer_));
  EXPECT_EQ(receiver.outcome().verdict, Verdict::kWriteFailed);
  EXPECT_NE(receiver.outcome().message.find("Permission denied"), std::string::npos);
  fs::permissions(dir_, fs::perms::owner_all);
}

TEST(FileReport, CarriesTheVerdictAndTheReasonAndRejectsTheRest) {
  using pigeon::filexfer::decodeReport;
  using pigeon::filexfer::encodeReport;
  using pigeon::filexfer::Reason;
  const auto report = decodeReport(encodeReport(Verdict::kWriteFailed, Reason::kNoSpace));
  ASSERT_TRUE(report);
  EXPECT_EQ(report->verdict, Verdict::kWriteFailed);
  EXPECT_EQ(report->reason, Reason::kNoSpace);
  EXPECT_EQ(decodeReport(pigeon::filexfer::encodeU64(0))->reason, Reason::kNone);
  EXPECT_FALSE(decodeReport(pigeon::filexfer::encodeU64(6)));           // no such verdict
  EXPECT_FALSE(decodeReport(pigeon::filexfer::encodeU64(0x0A00)));      // no such reason
  EXPECT_FALSE(decodeReport(pigeon::filexfer::encodeU64(1ull << 16)));  // bits that must be 0
  EXPECT_FALSE(decodeReport(pigeon::wire::Bytes(7)));
}

TEST(FileReport, NamesTheErrnoThatMatter) {
  using pigeon::filexfer::Reason;
  using pigeon::filexfer::reasonForErrno;
  EXPECT_EQ(reasonForErrno(ENOSPC), Reason::kNoSpace);
  EXPECT_EQ(reasonForErrno(EDQUOT), Reason::kNoSpace);
  EXPECT_EQ(reasonForErrno(EACCES), Reason::kPermission);
  EXPECT_EQ(reasonForErrno(EROFS), Reason::kReadOnly);
  EXPECT_EQ(reasonForErrno(EIO), Reason::kIoError);
}
