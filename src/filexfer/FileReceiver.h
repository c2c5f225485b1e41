#pragma once

#include "filexfer/BackgroundSha256.h"
#include "filexfer/FileOffer.h"
#include "wire/Bytes.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace pigeon::filexfer {

// Chunk index ranges, inclusive: {3, 3}, {7, 9}.
using ChunkRanges = std::vector<std::pair<std::uint64_t, std::uint64_t>>;

// "3, 7-9"
std::string formatRanges(const ChunkRanges& ranges);

// The receiving side of one file, with no socket and no clock: fed the
// offer, chunks in any order (duplicates and strays counted and ignored) and
// the end marker, it writes into a temporary file in the directory
// (".NAME.pigeon-part-PID") and, in finish(), gives it its final name only
// when every chunk arrived and the SHA-256 matches. On any failure the
// temporary file is removed; nothing ever lives under the final name that
// did not match. An offer that announces a digest trailer
// (FileOffer::announcesDigestTrailer) is verified against the trailer, the
// data frame one past the last chunk; without it nothing is stored. Not
// thread safe.
class FileReceiver {
 public:
  struct Outcome {
    Verdict verdict = Verdict::kIncomplete;
    std::string message;            // one line for the person at the terminal
    ChunkRanges missing;            // for kChunksMissing
    std::string finalPath;          // for kStored
    Reason reason = Reason::kNone;  // for kRefused, kWriteFailed
  };

  FileReceiver(std::string directory, bool overwrite);
  ~FileReceiver();
  FileReceiver(const FileReceiver&) = delete;
  FileReceiver& operator=(const FileReceiver&) = delete;

  // False when the offer is refused (then failed() and outcome() say why).
  // A second identical offer (repeated over udp) is accepted and ignored; a
  // different one while a file is open is refused and counted as a stray.
  bool offer(const FileOffer& offer);
  // A malformed offer: refuses the transfer with `why`.
  void refuse(const std::string& why, Reason reason = Reason::kBadOffer);
  // A chunk, or (index chunkCount(), where the offer announced one) the
  // digest trailer.
  void chunk(std::uint64_t index, wire::ByteSpan bytes);
  void end(std::uint64_t chunksSent);

  // Verifies, then renames or removes. Call once.
  Outcome finish();

  bool hasOffer() const { return offered_; }
  bool ended() const { return ended_; }
  bool failed() const { return failed_; }
  // Every chunk of the offer, and its digest, has arrived.
  bool whole() const {
    return offered_ && chunksReceived_ >= offer_.chunkCount() && expected_.has_value();
  }
  const Outcome& outcome() const { return outcome_; }
  const FileOffer& currentOffer() const { return offer_; }
  std::uint64_t chunksReceived() const { return chunksReceived_; }
  std::uint64_t bytesReceived() const { return bytesReceived_; }
  std::uint64_t duplicates() const { return duplicates_; }
  std::uint64_t strays() const { return strays_; }
  std::uint64_t chunksSentBySender() const { return chunksSent_; }
  std::string temporaryPath() const { return partPath_; }

 private:
  void fail(Verdict verdict, const std::string& message, Reason reason = Reason::kNone);
  void removePart();
  ChunkRanges missingRanges() const;
  bool hashRestFromDisk(BackgroundSha256& hash, std::string& error);
  void digestTrailer(wire::ByteSpan bytes);

  std::string directory_;
  bool overwrite_;
  bool offered_ = false;
  bool ended_ = false;
  bool failed_ = false;
  bool finished_ = false;
  FileOffer offer_;
  std::optional<Sha256Digest> expected_;  // from the offer, or its trailer
  std::string partPath_;
  std::string finalPath_;
  int fd_ = -1;
  std::vector<bool> received_;
  std::uint64_t chunksReceived_ = 0;
  std::uint64_t bytesReceived_ = 0;
  std::uint64_t duplicates_ = 0;
  std::uint64_t strays_ = 0;
  std::uint64_t chunksSent_ = 0;
  // Chunks that arrive in order are hashed as they come, on the hash's own
  // thread; the rest is read back from the file in finish().
  std::unique_ptr<BackgroundSha256> hash_;
  std::uint64_t hashedChunks_ = 0;
  Outcome outcome_;
};

}  // namespace pigeon::filexfer
