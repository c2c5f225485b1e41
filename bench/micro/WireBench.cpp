// Micro-benchmarks of the per-frame wire work on the UDP bench path: the
// CRC-32 every bench frame carries (computed by the sender, checked by the
// receiver), by the path crc32() takes and by the tables alone.
//   pigeon_micro_bench --benchmark_filter='Crc32'

#include "wire/Crc32.h"

#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

namespace {

using pigeon::wire::ByteSpan;

std::vector<std::uint8_t> filler(std::size_t n) {
  std::vector<std::uint8_t> bytes(n);
  for (std::size_t i = 0; i < n; ++i) bytes[i] = static_cast<std::uint8_t>((i * 131 + 7) & 0xFF);
  return bytes;
}

// Argument: bytes covered (64: the header and payload of bench/compare's
// 64-byte message; 1232: a 1200-byte payload).
void Crc32(benchmark::State& state) {
  const auto bytes = filler(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    benchmark::DoNotOptimize(pigeon::wire::crc32(ByteSpan(bytes.data(), bytes.size())));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
  state.counters["clmul"] = pigeon::wire::detail::crc32UsesCarrylessMultiply() ? 1 : 0;
}
BENCHMARK(Crc32)->Arg(64)->Arg(1232);

void Crc32Tables(benchmark::State& state) {
  const auto bytes = filler(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        pigeon::wire::detail::crc32Tables(ByteSpan(bytes.data(), bytes.size())));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(Crc32Tables)->Arg(64)->Arg(1232);

}  // namespace
