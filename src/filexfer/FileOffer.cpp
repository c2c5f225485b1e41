#include "filexfer/FileOffer.h"

#include <algorithm>
#include <cerrno>

namespace pigeon::filexfer {

std::size_t FileOffer::chunkLength(std::uint64_t index) const {
  const std::uint64_t count = chunkCount();
  if (index >= count) return 0;
  if (index + 1 < count) return chunkBytes;
  return static_cast<std::size_t>(sizeBytes - index * chunkBytes);
}

wire::Bytes encodeOffer(const FileOffer& offer) {
  wire::Bytes out(kOfferFixedBytes + offer.name.size());
  std::uint8_t* p = out.data();
  wire::putU64(p, offer.sizeBytes);
  wire::putU32(p + 8, offer.chunkBytes);
  std::copy(offer.sha256.begin(), offer.sha256.end(), p + 12);
  wire::putU16(p + 12 + kSha256Bytes, static_cast<std::uint16_t>(offer.name.size()));
  std::copy(offer.name.begin(), offer.name.end(), p + kOfferFixedBytes);
  return out;
}

std::optional<FileOffer> decodeOffer(wire::ByteSpan payload, std::string& why) {
  if (payload.size() < kOfferFixedBytes) {
    why = "offer too short";
    return std::nullopt;
  }
  const std::uint8_t* p = payload.data();
  FileOffer offer;
  offer.sizeBytes = wire::getU64(p);
  offer.chunkBytes = wire::getU32(p + 8);
  std::copy(p + 12, p + 12 + kSha256Bytes, offer.sha256.begin());
  const std::size_t nameBytes = wire::getU16(p + 12 + kSha256Bytes);
  if (payload.size() != kOfferFixedBytes + nameBytes) {
    why = "offer length does not match its name length";
    return std::nullopt;
  }
  if (offer.chunkBytes < kMinChunkBytes || offer.chunkBytes > kMaxChunkBytes) {
    why = "chunk size " + std::to_string(offer.chunkBytes) + " outside " +
          std::to_string(kMinChunkBytes) + ".." + std::to_string(kMaxChunkBytes);
    return std::nullopt;
  }
  if (offer.sizeBytes > kMaxFileBytes || offer.chunkCount() > kMaxChunks) {
    why = "file of " + std::to_string(offer.sizeBytes) + " bytes in " +
          std::to_string(offer.chunkBytes) + "-byte chunks is above the limit (" +
          std::to_string(kMaxChunks) + " chunks, " + std::to_string(kMaxFileBytes) + " bytes)";
    return std::nullopt;
  }
  offer.name.assign(reinterpret_cast<const char*>(p + kOfferFixedBytes), nameBytes);
  return offer;
}

std::string verdictText(Verdict verdict) {
  switch (verdict) {
    case Verdict::kStored:
      return "stored, SHA-256 matches";
    case Verdict::kHashMismatch:
      return "SHA-256 mismatch, file discarded";
    case Verdict::kChunksMissing:
      return "chunks missing, file discarded";
    case Verdict::kRefused:
      return "refused";
    case Verdict::kWriteFailed:
      return "write failed, file discarded";
    case Verdict::kIncomplete:
      return "incomplete, file discarded";
  }
  return "unknown verdict";
}

Reason reasonForErrno(int errorNumber) {
  switch (errorNumber) {
    case ENOSPC:
    case EDQUOT:
      return Reason::kNoSpace;
    case EACCES:
    case EPERM:
      return Reason::kPermission;
    case EROFS:
      return Reason::kReadOnly;
    case EEXIST:
      return Reason::kExists;
    default:
      return Reason::kIoError;
  }
}

std::string reasonText(Reason reason) {
  switch (reason) {
    case Reason::kNone:
      return "no reason given";
    case Reason::kExists:
      return "a file of that name is there already (--force on the receiver overwrites)";
    case Reason::kBadName:
      return "the name is not a plain file name";
    case Reason::kBadOffer:
      return "the offer is malformed or above the receiver's limits";
    case Reason::kNotEnoughSpace:
      return "not enough free space for it";
    case Reason::kNoSpace:
      return "its disk is full (no space left on device); the partial file was removed";
    case Reason::kPermission:
      return "permission denied in its directory; nothing was kept";
    case Reason::kReadOnly:
      return "its directory is on a read-only file system; nothing was kept";
    case Reason::kIoError:
      return "a file system error; the partial file was removed";
    case Reason::kInterrupted:
      return "it was interrupted";
  }
  return "reason " + std::to_string(static_cast<unsigned>(reason));
}

wire::Bytes encodeReport(Verdict verdict, Reason reason) {
  return encodeU64(static_cast<std::uint64_t>(verdict) | (static_cast<std::uint64_t>(reason) << 8));
}

std::optional<ReceiverReport> decodeReport(wire::ByteSpan payload) {
  if (payload.size() != 8) return std::nullopt;
  const std::uint64_t v = wire::getU64(payload.data());
  const std::uint64_t verdict = v & 0xFF;
  const std::uint64_t reason = (v >> 8) & 0xFF;
  if (v >> 16 != 0 || verdict > static_cast<std::uint64_t>(Verdict::kIncomplete) ||
      reason > static_cast<std::uint64_t>(Reason::kInterrupted)) {
    return std::nullopt;
  }
  return ReceiverReport{static_cast<Verdict>(verdict), static_cast<Reason>(reason)};
}

wire::Bytes encodeU64(std::uint64_t value) {
  wire::Bytes out(8);
  wire::putU64(out.data(), value);
  return out;
}

std::string toHex(const Sha256Digest& digest) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(digest.size() * 2);
  for (const std::uint8_t b : digest) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0xF];
  }
  return out;
}

}  // namespace pigeon::filexfer
