// The one main() of pigeon_micro_bench: benchmark files in this folder only
// register benchmarks (BENCHMARK(...)) and must not define main themselves.
#include <benchmark/benchmark.h>

BENCHMARK_MAIN();
