#!/usr/bin/env bash
# Builds pigeon and runs the whole test suite through CTest, twice: an
# optimised build with warnings as errors, then a debug build under
# AddressSanitizer + UndefinedBehaviorSanitizer. Stops at the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."

for preset in release asan; do
  echo "=== $preset: configure, build, test ==="
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset"
  ctest --preset "$preset"
done
