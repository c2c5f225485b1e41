#include "bench/EchoSourceCount.h"

#include <functional>
#include <random>

namespace pigeon::bench {
namespace {

constexpr std::size_t kFirstSlots = 1024;  // 8 KiB: a quiet echo pays no more

// splitmix64's finaliser: spreads std::hash's bits over the whole word.
std::uint64_t mix(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

EchoSourceCount::EchoSourceCount(std::size_t limit)
    // A seed per process: which keys share a slot is not known from outside.
    : limit_(limit == 0 ? 1 : limit), seed_(std::random_device{}()), slots_(kFirstSlots) {}

bool EchoSourceCount::add(std::string_view key) {
  if (full_) return false;
  std::uint64_t fingerprint = mix(std::hash<std::string_view>{}(key) ^ seed_);
  if (fingerprint == 0) fingerprint = 1;  // 0 marks an empty slot
  if (!insert(fingerprint)) return false;
  ++count_;
  if (count_ >= limit_) full_ = true;
  // At most half full, so a probe run stays short.
  if (!full_ && count_ * 2 > slots_.size()) grow();
  return true;
}

bool EchoSourceCount::insert(std::uint64_t fingerprint) {
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = fingerprint & mask;; i = (i + 1) & mask) {
    if (slots_[i] == fingerprint) return false;
    if (slots_[i] == 0) {
      slots_[i] = fingerprint;
      return true;
    }
  }
}

void EchoSourceCount::grow() {
  std::vector<std::uint64_t> old(slots_.size() * 2);
  old.swap(slots_);
  for (const std::uint64_t fingerprint : old) {
    if (fingerprint != 0) insert(fingerprint);
  }
}

}  // namespace pigeon::bench
