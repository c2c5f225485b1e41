#!/usr/bin/env bash
# Builds pigeon and runs the whole test suite through CTest, twice: an
# optimised build with warnings as errors, then a debug build under
# AddressSanitizer + UndefinedBehaviorSanitizer; then the end-to-end tests
# (the real binary, its threads and its peers) once more under
# ThreadSanitizer. Stops at the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."

for preset in release asan; do
  echo "=== $preset: configure, build, test ==="
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset"
  ctest --preset "$preset"
done

echo "=== tsan: configure, build, end-to-end tests ==="
cmake --preset tsan >/dev/null
cmake --build --preset tsan --target pigeon pigeon_e2e_tests
# Timing bounds run in the release and asan stages only:
# - the lab's two tests of a 50 ms ± 1 ms minimum round trip and the IPDV
#   bound under jitter: ThreadSanitizer's slowdown alone can add a millisecond;
# - the three 10 Mbit/s rate tests, which want 90 % of the rate through: an
#   emulator thread held off the CPU leaves the link idle, and once in CI
#   under TSan (7d3c780) udp got 7.4 and tcp with bbr 7.6 Mbit/s through.
ctest --preset tsan -L e2e \
  -E 'LabCommand.PingAcrossA25msLink|BenchLab.PingPongAcross25ms|Bench.IpdvUnderReordering|BenchLab.TcpWith|BenchLab.UdpOfferedAtTwenty'

echo "=== fuzz: every libFuzzer target for a short smoke run (docs/fuzzing.md) ==="
./scripts/fuzz.sh 3
