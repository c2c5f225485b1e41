#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace pigeon::bench {

// How many distinct UDP sources an echo has heard from, in bounded memory.
// The echo's per-source state lives in a table of 1,024 entries that forgets
// the least recently heard; counting its insertions counted a source again
// each time it came back. This set keeps a 64-bit fingerprint of each source
// key instead (8 bytes, not the state), exactly up to `limit` sources; past
// that it counts no more and says the count is a lower bound. Two sources
// share a fingerprint with odds of about n^2 / 2^65 (10,000 sources: 3e-12),
// which would undercount by one. Not thread safe.
class EchoSourceCount {
 public:
  explicit EchoSourceCount(std::size_t limit);

  // Records the source `key`; true when it was not seen before and counted.
  bool add(std::string_view key);
  std::uint64_t count() const { return count_; }
  // True once `limit` sources were counted: count() is "at least".
  bool atLeast() const { return full_; }

 private:
  void grow();
  bool insert(std::uint64_t fingerprint);

  std::size_t limit_;
  std::uint64_t seed_;
  std::uint64_t count_ = 0;
  bool full_ = false;
  std::vector<std::uint64_t> slots_;  // open addressing; 0 is an empty slot
};

}  // namespace pigeon::bench
