#!/usr/bin/env bash
# A scripted chat on loopback: alice listens, bob connects, they exchange a
# few lines over UDP, then over TCP, and each one's screen is printed.
# Usage: scripts/demo.sh [PATH-TO-PIGEON]   (default: build/release/pigeon)
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
pigeon=${1:-$here/build/release/pigeon}
[[ -x $pigeon ]] || { echo "demo: $pigeon not built (cmake --preset release && cmake --build --preset release)" >&2; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() {
  exec 3>&- 4>&- 2>/dev/null || true
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# Waits (at most 5 s) until FILE contains TEXT.
await() {
  local file=$1 text=$2
  for _ in $(seq 100); do
    grep -qF -- "$text" "$file" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "demo: timed out waiting for '$text' in $(basename "$file")" >&2
  cat "$file" >&2
  exit 1
}

# say FD SCREEN LINE: types LINE into a chat and notes it on that screen.
say() {
  printf '%s\n' "$3" >&"$1"
  printf '> %s\n' "$3" >>"$2"
}

chat_over() {
  local transport=$1 alice=$work/$1.alice bob=$work/$1.bob
  mkfifo "$alice.in" "$bob.in"
  : >"$alice"; : >"$bob"

  "$pigeon" chat --transport "$transport" --listen 0 --bind 127.0.0.1 --nick alice \
    <"$alice.in" >>"$alice" 2>&1 &
  pids+=($!)
  exec 3>"$alice.in"
  await "$alice" "listening on $transport"
  local port
  port=$(sed -n "s/.*listening on $transport 127.0.0.1:\([0-9]*\).*/\1/p" "$alice")

  "$pigeon" chat --transport "$transport" --peer "127.0.0.1:$port" --nick bob \
    <"$bob.in" >>"$bob" 2>&1 &
  pids+=($!)
  exec 4>"$bob.in"
  await "$alice" "bob joined"
  await "$bob" "alice joined"

  say 4 "$bob" "hi alice, bob here over $transport"
  await "$alice" "bob: hi alice"
  say 3 "$alice" "hello bob! every line is one pigeon message"
  await "$bob" "alice: hello bob"
  say 4 "$bob" "and the receiver would flag gaps, reordering and duplicates"
  await "$alice" "bob: and the receiver"
  say 4 "$bob" "/quit"
  await "$alice" "bob left"
  wait
  exec 3>&- 4>&-
  pids=()

  printf '\n=== %s: alice (pigeon chat -t %s --listen 0) ===\n' "$transport" "$transport"
  cat "$alice"
  printf '=== %s: bob (pigeon chat -t %s --peer 127.0.0.1:%s) ===\n' "$transport" "$transport" "$port"
  cat "$bob"
}

echo "pigeon chat demo: two pigeons on loopback ('> ' marks what each one typed)"
chat_over udp
chat_over tcp
