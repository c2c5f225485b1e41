#include "filexfer/BackgroundSha256.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace pigeon::filexfer {

BackgroundSha256::BackgroundSha256() {
  filling_.reserve(kBufferBytes);  // first: a throw here leaves no thread behind
  worker_ = std::thread([this] { hashQueued(); });
}

BackgroundSha256::~BackgroundSha256() {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    abandon_ = true;
  }
  changed_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void BackgroundSha256::update(wire::ByteSpan bytes) {
  if (finished_) throw std::logic_error("BackgroundSha256::update after finish");
  while (!bytes.empty()) {
    const std::size_t room = kBufferBytes - filling_.size();
    const std::size_t taken = std::min(room, bytes.size());
    filling_.insert(filling_.end(), bytes.begin(),
                    bytes.begin() + static_cast<std::ptrdiff_t>(taken));
    bytes = bytes.subspan(taken);
    if (filling_.size() == kBufferBytes) queueFilling(true);
  }
}

void BackgroundSha256::queueFilling(bool refill) {
  std::vector<std::uint8_t> next;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [this] { return inUse_ < kBuffers; });
    ++inUse_;
    queued_.push_back(std::move(filling_));
    if (!spare_.empty()) {
      next = std::move(spare_.back());
      spare_.pop_back();
    }
  }
  changed_.notify_all();
  next.clear();
  if (refill) next.reserve(kBufferBytes);
  filling_ = std::move(next);
}

Sha256Digest BackgroundSha256::finish() {
  if (finished_) throw std::logic_error("BackgroundSha256::finish twice");
  finished_ = true;
  if (!filling_.empty()) queueFilling(false);
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    closing_ = true;
  }
  changed_.notify_all();
  worker_.join();  // its last write to hash_ happens before this returns
  return hash_.finish();
}

void BackgroundSha256::hashQueued() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    changed_.wait(lock, [this] { return abandon_ || closing_ || !queued_.empty(); });
    if (abandon_) return;
    if (queued_.empty()) return;  // closing, and nothing left
    std::vector<std::uint8_t> buffer = std::move(queued_.front());
    queued_.pop_front();
    lock.unlock();
    hash_.update(wire::ByteSpan(buffer.data(), buffer.size()));
    lock.lock();
    spare_.push_back(std::move(buffer));
    --inUse_;
    changed_.notify_all();
  }
}

}  // namespace pigeon::filexfer
