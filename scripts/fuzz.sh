#!/usr/bin/env bash
# Builds the libFuzzer targets (preset `fuzz`: clang, ASan+UBSan) and runs
# each for SECONDS (default 5: a smoke run), or only the targets named.
#   scripts/fuzz.sh                   # every target, 5 s each
#   scripts/fuzz.sh 1800 handshake    # one target, half an hour
# Each run starts from the checked-in seeds (tests/fuzz/corpus/<target>) and
# grows a working corpus in build/fuzz/corpus/<target>, kept between runs; a
# crash leaves its input in build/fuzz/artifacts/ and fails the script.
# docs/fuzzing.md says more.
set -euo pipefail

cd "$(dirname "$0")/.."
seconds="${1:-5}"
shift || true
targets=("$@")
if ((${#targets[@]} == 0)); then
  targets=(datagram_decoder stream_framer rudp_parsers handshake rudp_connections link_spec
    terminal_text room_pack)
fi

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz

mkdir -p build/fuzz/artifacts
failed=()
for t in "${targets[@]}"; do
  binary="build/fuzz/tests/fuzz/fuzz_$t"
  work="build/fuzz/corpus/$t"
  mkdir -p "$work"
  log="build/fuzz/$t.log"
  echo "fuzz: $t for ${seconds}s"
  if "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="build/fuzz/artifacts/$t-" "$work" "tests/fuzz/corpus/$t" >"$log" 2>&1; then
    runs=$(grep -Eo 'Done [0-9]+ runs' "$log" | grep -Eo '[0-9]+' || echo '?')
    echo "fuzz: $t ok, $runs runs"
  else
    echo "fuzz: $t FAILED, see $log and build/fuzz/artifacts/" >&2
    tail -n 30 "$log" >&2
    failed+=("$t")
  fi
done
if ((${#failed[@]} > 0)); then
  echo "fuzz: failed: ${failed[*]}" >&2
  exit 1
fi
