#pragma once

#include "filexfer/FileOffer.h"
#include "filexfer/Sha256.h"
#include "wire/Bytes.h"

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace pigeon::filexfer {

// A SHA-256 computed on a thread of its own, so that a receiver hashes
// beside its socket reads and disk writes instead of between them: on a
// 1 GiB tcp transfer the hash was about 40 % of the receiving thread's
// time, and that thread set the pace. update() copies the bytes into a
// buffer being filled and, once it is full, queues it; it waits only while
// kBuffers are queued, so memory stays at (kBuffers + 1) * kBufferBytes.
// Bytes are hashed in the order given. One thread may call update() and
// finish(), update() never after finish(); not copyable.
class BackgroundSha256 {
 public:
  static constexpr std::size_t kBuffers = 4;
  static constexpr std::size_t kBufferBytes = std::size_t{1} << 20;

  BackgroundSha256();
  // Stops the thread; whatever is still queued is not hashed.
  ~BackgroundSha256();
  BackgroundSha256(const BackgroundSha256&) = delete;
  BackgroundSha256& operator=(const BackgroundSha256&) = delete;

  void update(wire::ByteSpan bytes);
  // Waits until everything given is hashed; the digest. The object is then
  // spent.
  Sha256Digest finish();

 private:
  void hashQueued();
  // Hands filling_ to the worker; with `refill`, takes a buffer to fill next.
  void queueFilling(bool refill);

  std::vector<std::uint8_t> filling_;  // the caller's thread alone
  bool finished_ = false;              // the caller's thread alone
  Sha256 hash_;                        // the worker's thread alone, until finish()
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::vector<std::uint8_t>> queued_;
  std::vector<std::vector<std::uint8_t>> spare_;
  std::size_t inUse_ = 0;  // buffers queued or being hashed
  bool closing_ = false;   // finish(): hash what is queued, then end
  bool abandon_ = false;   // the destructor: end at once
  std::thread worker_;
};

}  // namespace pigeon::filexfer
