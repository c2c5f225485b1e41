// Micro-benchmarks of the receiver's per-message metrics work.
//   pigeon_micro_bench --benchmark_filter='StreamStats|LatencyHistogram'

#include "metrics/LatencyHistogram.h"
#include "metrics/StreamStats.h"

#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <random>
#include <utility>

namespace {

using pigeon::metrics::LatencyHistogram;
using pigeon::metrics::StreamStats;

constexpr std::size_t kPattern = 4096;  // a power of two

// Offsets of sequence numbers within each block of kPattern: in order, but
// every `reorderEvery`-th pair is swapped. Latencies: ~20 us with noise.
struct Workload {
  std::array<std::uint32_t, kPattern> offset{};
  std::array<std::int64_t, kPattern> latencyNs{};

  explicit Workload(std::size_t reorderEvery) {
    std::mt19937_64 rng(1149);
    std::uniform_int_distribution<std::int64_t> noise(-3'000, 30'000);
    for (std::size_t i = 0; i < kPattern; ++i) {
      offset[i] = static_cast<std::uint32_t>(i);
      latencyNs[i] = 20'000 + noise(rng);
    }
    if (reorderEvery == 0) return;
    for (std::size_t i = reorderEvery - 1; i + 1 < kPattern; i += reorderEvery) {
      std::swap(offset[i], offset[i + 1]);
    }
  }
};

void StreamStatsRecordArrival(benchmark::State& state) {
  const Workload work(static_cast<std::size_t>(state.range(0)));
  StreamStats stats;
  stats.setDeadlineNs(40'000);
  std::uint64_t base = 0;
  std::size_t i = 0;
  for (auto _ : state) {
    const std::uint64_t sequence = base + work.offset[i];
    const auto sendNs = static_cast<std::int64_t>(sequence) * 1'000;
    auto verdict = stats.recordArrival(sequence, sendNs, sendNs + work.latencyNs[i], 1200, 32);
    benchmark::DoNotOptimize(verdict);
    if (++i == kPattern) {
      i = 0;
      base += kPattern;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["reordered"] = static_cast<double>(stats.reordered());
}
// Argument: one pair in N swapped (0: strictly in order).
BENCHMARK(StreamStatsRecordArrival)->Arg(0)->Arg(64)->Arg(8);

void LatencyHistogramRecord(benchmark::State& state) {
  const Workload work(0);
  LatencyHistogram histogram;
  std::size_t i = 0;
  for (auto _ : state) {
    histogram.record(work.latencyNs[i]);
    i = (i + 1) & (kPattern - 1);
  }
  benchmark::DoNotOptimize(histogram.count());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(LatencyHistogramRecord);

void LatencyHistogramPercentile(benchmark::State& state) {
  const Workload work(0);
  LatencyHistogram histogram;
  for (std::size_t i = 0; i < kPattern; ++i) histogram.record(work.latencyNs[i]);
  for (auto _ : state) benchmark::DoNotOptimize(histogram.percentile(99.9));
}
BENCHMARK(LatencyHistogramPercentile);

}  // namespace
