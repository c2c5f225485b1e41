#pragma once

#include <cstdint>
#include <random>

namespace pigeon::link {

// A seeded pseudo-random source whose every output is fixed by (seed,
// stream) on every platform: std::mt19937_64's sequence is specified by the
// C++ standard, and the conversions below (unlike std::*_distribution) are
// our own. Different streams of one seed give unrelated sequences, so the
// two directions of a link do not lose the same packets. Not thread safe.
class SeededRandom {
 public:
  explicit SeededRandom(std::uint64_t seed, std::uint64_t stream = 0);

  std::uint64_t nextU64();

  // Uniform in [0, 1), with 53 random bits.
  double uniform();

  // True with probability `probability` (<= 0: never, >= 1: always).
  // Always consumes one draw.
  bool chance(double probability);

  // Uniform in [0, bound); bound must be > 0. Unbiased (rejection).
  std::uint64_t below(std::uint64_t bound);

  // Approximately standard normal: the sum of 12 uniforms minus 6 (the
  // Irwin-Hall distribution): mean 0, standard deviation 1, never beyond
  // +-6 (kNormalBound). Additions only, so bit-for-bit the same on every machine.
  double normal();
  static constexpr int kNormalBound = 6;

 private:
  std::mt19937_64 engine_;
};

// SplitMix64's finaliser: a bijective scramble used to derive seeds.
std::uint64_t mixSeed(std::uint64_t value);

}  // namespace pigeon::link
