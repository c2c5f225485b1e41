#pragma once

#include "wire/Bytes.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace pigeon::filexfer {

// A file transfer over pigeon frames (docs/files.md, docs/protocol.md):
//   file-offer  (type 12)  this struct, once (three times where datagrams can be lost)
//   data        (type 1)   stream kFileStreamId, sequence = chunk index 0..n-1,
//                          payload = the chunk's bytes (the last may be shorter)
//   data        (type 1)   the digest trailer, when the offer's SHA-256 is all
//                          zeros: sequence n, payload the file's 32-byte SHA-256
//   bye         (type 3)   stream kFileStreamId, payload u64: chunks sent
//   report      (type 4)   receiver -> sender, stream kFileStreamId, payload u64: a Verdict
//                          and a Reason (encodeReport)
inline constexpr std::uint32_t kFileStreamId = 0x46494C45;  // "FILE"

inline constexpr std::size_t kSha256Bytes = 32;
using Sha256Digest = std::array<std::uint8_t, kSha256Bytes>;

// Bounds checked on every offer before anything is sized from it: a hostile
// size allocates nothing. The chunk bitmap is at most kMaxChunks bits (2 MiB).
inline constexpr std::uint32_t kMinChunkBytes = 512;
inline constexpr std::uint32_t kMaxChunkBytes = 1u << 20;
inline constexpr std::uint64_t kMaxChunks = 1ull << 24;
inline constexpr std::uint64_t kMaxFileBytes = 1ull << 40;  // 1 TiB

// Offer layout, big-endian: u64 size, u32 chunk bytes, 32 bytes SHA-256,
// u16 name length, the name (1..255 bytes, no terminator).
inline constexpr std::size_t kOfferFixedBytes = 8 + 4 + kSha256Bytes + 2;

struct FileOffer {
  std::string name;
  std::uint64_t sizeBytes = 0;
  std::uint32_t chunkBytes = 0;
  Sha256Digest sha256{};

  std::uint64_t chunkCount() const {
    return chunkBytes == 0 ? 0 : (sizeBytes + chunkBytes - 1) / chunkBytes;
  }
  // How long chunk `index` must be; 0 for an index past the end.
  std::size_t chunkLength(std::uint64_t index) const;
  // An offer whose SHA-256 is all zeros announces the digest as a trailer
  // after the last chunk, so the sender hashes while it reads, in one pass
  // over the file instead of two (a real digest is all zeros with
  // probability 2^-256).
  bool announcesDigestTrailer() const { return sha256 == Sha256Digest{}; }

  bool operator==(const FileOffer&) const = default;
};

wire::Bytes encodeOffer(const FileOffer& offer);

// nullopt with `why` set when the payload is not a well-formed offer within
// the bounds above. The name is not validated here (FileName.h).
std::optional<FileOffer> decodeOffer(wire::ByteSpan payload, std::string& why);

// What the receiver tells the sender at the end (report payload).
enum class Verdict : std::uint64_t {
  kStored = 0,         // size and SHA-256 matched; the file has its final name
  kHashMismatch = 1,   // every chunk came, the SHA-256 did not match
  kChunksMissing = 2,  // chunks never arrived
  kRefused = 3,        // bad name, file exists, too large, no space
  kWriteFailed = 4,    // disk full, permission: the partial file was removed
  kIncomplete = 5,     // the sender went away before the end
};

std::string verdictText(Verdict verdict);

// Why a file was refused or could not be written, for the sender to say
// (the receiver's own line names its directory; this does not).
enum class Reason : std::uint8_t {
  kNone = 0,
  kExists = 1,          // a file of that name is there (no --force)
  kBadName = 2,         // the name is a path, a device, has control characters...
  kBadOffer = 3,        // malformed, or above the receiver's limits
  kNotEnoughSpace = 4,  // the free space was less than the file at the offer
  kNoSpace = 5,         // ENOSPC, EDQUOT while writing
  kPermission = 6,      // EACCES, EPERM
  kReadOnly = 7,        // EROFS
  kIoError = 8,         // any other error from the file system
  kInterrupted = 9,     // the receiver was stopped (Ctrl-C)
};
Reason reasonForErrno(int errorNumber);
// "a file of that name exists there": for "refused by the receiver: ..."
std::string reasonText(Reason reason);

// The report's u64: bits 0-7 the verdict, bits 8-15 the reason, the rest
// zero. nullopt for anything else.
struct ReceiverReport {
  Verdict verdict = Verdict::kIncomplete;
  Reason reason = Reason::kNone;
};
wire::Bytes encodeReport(Verdict verdict, Reason reason);
std::optional<ReceiverReport> decodeReport(wire::ByteSpan payload);
wire::Bytes encodeU64(std::uint64_t value);

std::string toHex(const Sha256Digest& digest);

}  // namespace pigeon::filexfer
