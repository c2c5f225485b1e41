#include "link/SeededRandom.h"

namespace pigeon::link {

std::uint64_t mixSeed(std::uint64_t value) {
  value += 0x9E3779B97F4A7C15ull;
  value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9ull;
  value = (value ^ (value >> 27)) * 0x94D049BB133111EBull;
  return value ^ (value >> 31);
}

SeededRandom::SeededRandom(std::uint64_t seed, std::uint64_t stream)
    : engine_(mixSeed(mixSeed(seed) + stream)) {}

std::uint64_t SeededRandom::nextU64() { return engine_(); }

double SeededRandom::uniform() {
  constexpr double kTwoToMinus53 = 1.0 / 9007199254740992.0;
  return static_cast<double>(nextU64() >> 11) * kTwoToMinus53;
}

bool SeededRandom::chance(double probability) { return uniform() < probability; }

std::uint64_t SeededRandom::below(std::uint64_t bound) {
  // Reject the top partial block so every residue is equally likely.
  const std::uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
  std::uint64_t value = nextU64();
  while (value >= limit) value = nextU64();
  return value % bound;
}

double SeededRandom::normal() {
  double sum = 0.0;
  for (int i = 0; i < 12; ++i) sum += uniform();
  return sum - SeededRandom::kNormalBound;
}

}  // namespace pigeon::link
