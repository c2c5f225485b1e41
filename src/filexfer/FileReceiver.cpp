#include "filexfer/FileReceiver.h"

#include "filexfer/FileName.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace pigeon::filexfer {

std::string formatRanges(const ChunkRanges& ranges) {
  std::string out;
  for (const auto& [first, last] : ranges) {
    if (!out.empty()) out += ", ";
    out += std::to_string(first);
    if (last != first) out += "-" + std::to_string(last);
  }
  return out;
}

FileReceiver::FileReceiver(std::string directory, bool overwrite)
    : directory_(std::move(directory)), overwrite_(overwrite) {
  if (directory_.empty()) directory_ = ".";
}

FileReceiver::~FileReceiver() { removePart(); }

void FileReceiver::removePart() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!partPath_.empty()) ::unlink(partPath_.c_str());
  partPath_.clear();
}

void FileReceiver::fail(Verdict verdict, const std::string& message, Reason reason) {
  removePart();
  failed_ = true;
  outcome_ = Outcome{verdict, message, {}, {}, reason};
}

void FileReceiver::refuse(const std::string& why, Reason reason) {
  if (failed_) return;
  fail(Verdict::kRefused, "refused the offer: " + why, reason);
}

bool FileReceiver::offer(const FileOffer& offer) {
  if (failed_) return false;
  if (offered_) {
    if (offer == offer_) return true;
    ++strays_;
    return false;
  }
  if (const auto problem = fileNameProblem(offer.name)) {
    fail(Verdict::kRefused, "refused the offer: " + *problem, Reason::kBadName);
    return false;
  }
  offer_ = offer;
  offered_ = true;
  finalPath_ = directory_ + "/" + offer.name;
  struct stat existing {};
  if (!overwrite_ && ::lstat(finalPath_.c_str(), &existing) == 0) {
    fail(Verdict::kRefused,
         "'" + offer.name + "' already exists in " + directory_ + " (--force to overwrite)",
         Reason::kExists);
    return false;
  }
  struct statvfs disk {};
  if (::statvfs(directory_.c_str(), &disk) == 0) {
    const auto freeBytes = static_cast<std::uint64_t>(disk.f_bavail) * disk.f_frsize;
    if (offer.sizeBytes > freeBytes) {
      fail(Verdict::kRefused,
           "not enough space in " + directory_ + ": the file is " +
               std::to_string(offer.sizeBytes) + " bytes, " + std::to_string(freeBytes) + " free",
           Reason::kNotEnoughSpace);
      return false;
    }
  }
  // NAME_MAX bounds the temporary name too, so a long name is shortened.
  const std::string stem = offer.name.substr(0, 200);
  partPath_ = directory_ + "/." + stem + ".pigeon-part-" + std::to_string(::getpid());
  fd_ = ::open(partPath_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    const int errorNumber = errno;
    partPath_.clear();  // not ours to remove
    fail(Verdict::kWriteFailed,
         "cannot create a file in " + directory_ + ": " + std::strerror(errorNumber),
         reasonForErrno(errorNumber));
    return false;
  }
  received_.assign(offer.chunkCount(), false);  // bounded by kMaxChunks in decodeOffer
  if (!offer.announcesDigestTrailer()) expected_ = offer.sha256;
  hash_ = std::make_unique<BackgroundSha256>();
  return true;
}

void FileReceiver::chunk(std::uint64_t index, wire::ByteSpan bytes) {
  if (failed_ || !offered_ || finished_) {
    ++strays_;
    return;
  }
  if (index == received_.size() && offer_.announcesDigestTrailer()) {
    digestTrailer(bytes);
    return;
  }
  if (index >= received_.size() || bytes.size() != offer_.chunkLength(index)) {
    ++strays_;
    return;
  }
  if (received_[index]) {
    ++duplicates_;
    return;
  }
  const auto offset = static_cast<off_t>(index * offer_.chunkBytes);
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n =
        ::pwrite(fd_, bytes.data() + done, bytes.size() - done, offset + static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int errorNumber = n < 0 ? errno : ENOSPC;  // a write of 0 bytes: no room
      fail(Verdict::kWriteFailed,
           "cannot write '" + offer_.name + "' in " + directory_ + ": " +
               std::strerror(errorNumber) + "; partial file removed",
           reasonForErrno(errorNumber));
      return;
    }
    done += static_cast<std::size_t>(n);
  }
  received_[index] = true;
  ++chunksReceived_;
  bytesReceived_ += bytes.size();
  if (index == hashedChunks_) {
    hash_->update(bytes);
    ++hashedChunks_;
  }
}

void FileReceiver::digestTrailer(wire::ByteSpan bytes) {
  if (bytes.size() != kSha256Bytes) {
    ++strays_;
    return;
  }
  Sha256Digest digest{};
  std::copy(bytes.begin(), bytes.end(), digest.begin());
  if (!expected_) {
    expected_ = digest;
  } else if (*expected_ == digest) {
    ++duplicates_;  // the same digest again
  } else {
    ++strays_;  // the first one stands
  }
}

void FileReceiver::end(std::uint64_t chunksSent) {
  ended_ = true;
  chunksSent_ = chunksSent;
}

ChunkRanges FileReceiver::missingRanges() const {
  ChunkRanges ranges;
  for (std::uint64_t i = 0; i < received_.size(); ++i) {
    if (received_[i]) continue;
    if (!ranges.empty() && ranges.back().second + 1 == i) {
      ranges.back().second = i;
    } else {
      ranges.emplace_back(i, i);
    }
  }
  return ranges;
}

bool FileReceiver::hashRestFromDisk(BackgroundSha256& hash, std::string& error) {
  std::vector<std::uint8_t> buffer(offer_.chunkBytes);
  for (std::uint64_t i = hashedChunks_; i < received_.size(); ++i) {
    const std::size_t length = offer_.chunkLength(i);
    const auto offset = static_cast<off_t>(i * offer_.chunkBytes);
    std::size_t done = 0;
    while (done < length) {
      const ssize_t n =
          ::pread(fd_, buffer.data() + done, length - done, offset + static_cast<off_t>(done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        error = n < 0 ? std::strerror(errno) : "file shorter than written";
        return false;
      }
      done += static_cast<std::size_t>(n);
    }
    hash.update(wire::ByteSpan(buffer.data(), length));
  }
  return true;
}

FileReceiver::Outcome FileReceiver::finish() {
  if (finished_) return outcome_;
  finished_ = true;
  if (failed_) return outcome_;
  if (!offered_) {
    fail(Verdict::kIncomplete, "no file offer arrived");
    return outcome_;
  }
  const ChunkRanges missing = missingRanges();
  if (!missing.empty()) {
    const std::uint64_t lost = received_.size() - chunksReceived_;
    std::string why = ended_ ? "" : " (the end marker never came either)";
    fail(Verdict::kChunksMissing, "'" + offer_.name + "': " + std::to_string(lost) + " of " +
                                      std::to_string(received_.size()) + " chunks never arrived" +
                                      why +
                                      "; no file stored. Missing chunks: " + formatRanges(missing));
    outcome_.missing = missing;
    return outcome_;
  }
  if (!expected_) {
    fail(Verdict::kChunksMissing, "'" + offer_.name +
                                      "': every chunk arrived, the SHA-256 sent after them did "
                                      "not; no file stored");
    return outcome_;
  }
  std::string error;
  if (!hashRestFromDisk(*hash_, error)) {
    fail(Verdict::kWriteFailed, "cannot read back '" + offer_.name + "': " + error,
         Reason::kIoError);
    return outcome_;
  }
  const Sha256Digest got = hash_->finish();
  if (got != *expected_) {
    fail(Verdict::kHashMismatch, "'" + offer_.name + "': SHA-256 mismatch (expected " +
                                     toHex(*expected_) + ", got " + toHex(got) +
                                     "); no file stored");
    return outcome_;
  }
  if (::close(fd_) != 0) {
    const int errorNumber = errno;
    fd_ = -1;
    fail(Verdict::kWriteFailed,
         "cannot write '" + offer_.name + "': " + std::strerror(errorNumber) +
             "; partial file removed",
         reasonForErrno(errorNumber));
    return outcome_;
  }
  fd_ = -1;
  const unsigned int mode = overwrite_ ? 0 : RENAME_NOREPLACE;
  if (::renameat2(AT_FDCWD, partPath_.c_str(), AT_FDCWD, finalPath_.c_str(), mode) != 0) {
    const int error_number = errno;
    fail(error_number == EEXIST ? Verdict::kRefused : Verdict::kWriteFailed,
         "cannot name the file '" + offer_.name + "': " + std::strerror(error_number) +
             "; partial file removed",
         reasonForErrno(error_number));
    return outcome_;
  }
  partPath_.clear();
  outcome_ = Outcome{Verdict::kStored,
                     "stored " + finalPath_ + " (" + std::to_string(offer_.sizeBytes) +
                         " bytes, SHA-256 " + toHex(got) + " matches)",
                     {},
                     finalPath_};
  return outcome_;
}

}  // namespace pigeon::filexfer
