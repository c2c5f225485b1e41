#!/usr/bin/env bash
# scripts/docs-samples.sh: every sample output in the docs below comes from
# a real run of the command it shows. In a doc, a sample is
#
#   <!-- sample: NAME -->
#   ```
#   (written by this script: "$ COMMAND" lines and what they printed)
#   ```
#   <!-- /sample -->
#
# and sample_NAME below runs it. `scripts/docs-samples.sh` runs every
# sample and rewrites the blocks in place (as root, with pigeon from
# build/release, or PIGEON_DIR=DIR; about 1.5 minutes, most of it the lab
# and bench runs and the sessions' sleeps; `scripts/docs-samples.sh
# NAME...` runs only those). Sessions of several terminals (chat, rooms, a relay between)
# are scripted: each side is started in the background with its typed
# lines fed to it, with sleeps between them, and every wait is bounded; the
# sample shows the commands, then what each side printed ("== NAME"), and
# the doc's text says what was typed. Every block of program output in the
# docs below is one of these, but for one illustration: files.md's disk
# filling up mid-transfer (a race the e2e test sets up; the doc says so and
# shows the two lines that test requires). Not samples either: tables of
# figures from the bench/ scripts (bench.md's bench/compare, echo.md's
# bench/echo-load, link.md's and rudp.md's benchmark tables), minutes of
# measurement each; their text names the script and the load of the run.
# `--check` runs nothing: it fails when a marker names no sample here, a
# sample is used by no marker, a marker is not closed, a block's
# "$ COMMAND" lines are not the commands its sample runs (an edited command
# or sample shows), a `pigeon SUBCOMMAND` a sample runs does not exist, or
# a covered doc has a "$ pigeon" block outside the markers (a hand-written
# sample). ctest runs the check (DocsSamplesCheck).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PIGEON_DIR="${PIGEON_DIR:-$root/build/release}"
export PATH="$PIGEON_DIR:$PATH"
DOCS=(docs/lab.md docs/lab-guide.md docs/files.md docs/bench.md docs/echo.md docs/rooms.md
  docs/results.md docs/link.md docs/protocol.md docs/rudp.md docs/architecture.md
  docs/fuzzing.md README.md)

work=""
cleanup() { if [[ -n "$work" ]]; then rm -rf "$work"; fi; }
trap cleanup EXIT

# run "COMMAND": shows it as typed, then runs it with bash (stdout and
# stderr together, as a terminal shows them); a non-zero exit is shown too.
# With DRY=1 (the check), run, bg and shown only show the commands.
DRY=0
run() {
  printf '$ %s\n' "$1"
  [[ $DRY -eq 0 ]] || return 0
  local rc=0
  bash -c "$1" 2>&1 || rc=$?
  [[ $rc -eq 0 ]] || printf '$ echo $?\n%s\n' "$rc"
}
# bg NAME "COMMAND": starts COMMAND in the background (output to NAME.out).
bg() {
  printf '%s\n' "$2" >"$work/$1.cmd"
  if [[ $DRY -eq 1 ]]; then : >"$work/$1.out"; true & echo $! >"$work/$1.pid"; return; fi
  bash -c "$2" >"$work/$1.out" 2>&1 &
  echo $! >"$work/$1.pid"
}
# shown NAME: waits for a background command, then shows it and its output.
shown() {
  wait "$(cat "$work/$1.pid")" || true
  printf '$ %s\n' "$(cat "$work/$1.cmd")"
  cat "$work/$1.out"
}
# start NAME "COMMAND" ["INPUT"]: starts COMMAND in the background in its
# own process group (NAME.pid is its id; output to NAME.out), its standard
# input what the command INPUT prints (typed lines, with sleeps between
# them), or nothing: one terminal of a session. See stop.
start() {
  printf '%s\n' "$2" >"$work/$1.cmd"
  if [[ $DRY -eq 1 ]]; then : >"$work/$1.out"; true & echo $! >"$work/$1.pid"; return; fi
  rm -f "$work/$1.in"
  mkfifo "$work/$1.in"
  setsid bash -c "${3:-true}" >"$work/$1.in" 2>/dev/null &
  echo $! >"$work/$1.feed"
  setsid bash -c "exec $2" <"$work/$1.in" >"$work/$1.out" 2>&1 &
  echo $! >"$work/$1.pid"
}
# pause SECONDS: sleeps, but not in the check.
pause() { [[ $DRY -eq 1 ]] || sleep "$1"; }
# stop NAME [SIGNAL]: waits up to 10 s for NAME to end by itself (with
# SIGNAL: sends it first, to NAME's process group), then ends it with
# SIGTERM; nothing runs on unbounded.
stop() {
  local pid i
  pid="$(cat "$work/$1.pid")"
  [[ -z "${2:-}" ]] || kill "-$2" -- "-$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do alive "$pid" || break; sleep 0.1; done
  kill -TERM -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  [[ ! -f "$work/$1.feed" ]] || kill -TERM -- "-$(cat "$work/$1.feed")" 2>/dev/null || true
}
# alive PID: PID runs (a zombie, ended but not yet waited for, does not).
alive() {
  local state
  state="$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" || return 1
  [[ -n "$state" && "$state" != Z ]]
}
# commands NAME...: shows the commands the NAMEs ran, as typed.
commands() { local name; for name in "$@"; do printf '$ %s\n' "$(cat "$work/$name.cmd")"; done; }
# screens NAME...: shows what each NAME printed, under "== NAME".
screens() { local name; for name in "$@"; do printf '== %s\n' "$name"; cat "$work/$name.out"; done; }
# lines FROM TO [SPACING]: the input "line FROM" .. "line TO", one every
# SPACING seconds (0.1), after a second's wait, then a second more.
lines() { printf 'sleep 1; for i in $(seq %s %s); do echo "line $i"; sleep %s; done; sleep 1' "$1" "$2" "${3:-0.1}"; }
# files: a fresh directory with in/random.bin (8 MiB of random bytes).
files() {
  if [[ $DRY -eq 1 ]]; then mkdir -p "$work/files"; cd "$work/files"; return; fi
  rm -rf "$work/files"
  mkdir -p "$work/files/in" "$work/files/out"
  head -c 8388608 /dev/urandom >"$work/files/in/random.bin"
  cd "$work/files"
}

# ---- docs/lab.md ----
sample_lab_ping() { run "pigeon lab delay=25ms,seed=7 -- ping -n -c 5 -i 0.2 '\$PIGEON_LAB_PEER'"; }
sample_lab_iperf3() {
  run "pigeon lab rate=10mbit,queue=50,seed=1 --far 'iperf3 -s -1 >/dev/null' -- sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do iperf3 -c \$PIGEON_LAB_PEER -t 3 -f m 2>/dev/null | grep -E \"sender|receiver\" && break; sleep 0.2; done'"
}
sample_lab_bench() { run "pigeon bench --lab loss=2%,delay=10ms"; }
sample_lab_netem() { run "pigeon lab --engine netem delay=10ms -- true"; }
sample_lab_user() {
  run "setpriv --reuid=nobody --regid=nogroup --clear-groups pigeon lab delay=10ms -- true"
}

# ---- docs/lab-guide.md ----
# Exercise 1: alice listens, a lossy relay stands between, bob types a
# dozen lines through it; the relay's Ctrl-C prints what it did.
sample_guide_chat() {
  start alice "pigeon chat --listen 9000 --nick alice                # terminal 1" "sleep 6"
  pause 0.5
  start relay "pigeon link --listen 9001 --forward 127.0.0.1:9000 loss=30%,reorder=20%,duplicate=10%,seed=4   # terminal 2"
  pause 0.5
  start bob "pigeon chat --peer 127.0.0.1:9001 --nick bob           # terminal 3" "sleep 1; for i in \$(seq 1 12); do echo \"message \$i\"; sleep 0.2; done; sleep 1; echo /quit"
  stop bob
  pause 0.5
  stop alice TERM
  stop relay INT
  commands alice relay bob
  screens alice relay
}
sample_guide_lossy() {
  run "pigeon bench --lab loss=5%,delay=10ms,jitter=3ms,seed=7 --count 5000 --rate 5000 --deadline 20"
}
sample_guide_noreorder() {
  run "pigeon bench --lab loss=5%,delay=10ms,jitter=3ms/noreorder,seed=7 --count 5000 --rate 5000 --deadline 20 -t udp | grep -E 'lost|reordered|latency (min|p50|p99 )|late \(msgs'"
}
sample_guide_pingpong() {
  run "pigeon bench --lab delay=5ms --pattern pingpong --count 200 -t udp,tcp | grep -E '^metric|^---|round trip|outbound latency|lost'"
}
sample_guide_hol() {
  run "pigeon bench --lab rate=20mbit,queue=100,delay=5ms --pattern under-load --duration 2 --rate 0 --probe-rate 200 -t udp,tcp --deadline 20"
}

# ---- docs/files.md ----
# over_tcp: receive --once on 9300 and send to it; shows both.
over_tcp() {
  bg receive "pigeon receive --port 9300 --dir out --once"
  [[ $DRY -eq 1 ]] || sleep 0.5
  bg send "pigeon send in/random.bin --to 127.0.0.1:9300"
  shown receive
  echo
  shown send
}
sample_files_tcp() {
  files
  over_tcp
}
# through_link TRANSPORT OUTPUTS: receive, link (20 % loss) and send; shows
# the three commands, then the OUTPUTS named (of receive, send, link).
through_link() {
  files
  bg receive "pigeon receive --port 9301 --dir out --transport $1 --once"
  bg link "pigeon link --listen 9302 --forward 127.0.0.1:9301 loss=20%,seed=3"
  [[ $DRY -eq 1 ]] || sleep 0.5
  bg send "pigeon send in/random.bin --to 127.0.0.1:9302 --transport $1"
  wait "$(cat "$work/send.pid")" || true
  wait "$(cat "$work/receive.pid")" || true
  kill -INT "$(cat "$work/link.pid")" 2>/dev/null || true
  wait "$(cat "$work/link.pid")" || true
  for name in receive link send; do printf '$ %s\n' "$(cat "$work/$name.cmd")"; done
  for name in $2; do cat "$work/$name.out"; done
}
sample_files_udp() { through_link udp "receive send link"; }
sample_files_rudp() { through_link rudp "receive send"; }
sample_files_exists() {
  files
  [[ $DRY -eq 1 ]] || cp in/random.bin out/random.bin
  over_tcp
}

# ---- docs/bench.md ----
sample_bench_echo() {
  start echo "pigeon echo --listen 9000"
  pause 0.5
  printf '$ %s &\n' "$(cat "$work/echo.cmd")"
  run "pigeon bench -t udp --target 127.0.0.1:9000 --pattern stream --interval 1 --count 2000 --link loss=5%,delay=5ms,jitter=1ms,seed=3"
  stop echo INT
}
sample_bench_socat() {
  start udp "socat UDP-LISTEN:9007,fork,reuseaddr PIPE"
  start tcp "socat TCP-LISTEN:9007,fork,reuseaddr PIPE"
  pause 0.5
  printf '$ %s & %s &\n' "$(cat "$work/udp.cmd")" "$(cat "$work/tcp.cmd")"
  run "pigeon bench -t udp,tcp --target 127.0.0.1:9007 --count 1000"
  stop udp TERM
  stop tcp TERM
}

# ---- docs/echo.md ----
sample_echo_stamp() {
  start echo "pigeon echo --stamp --listen 9001"
  pause 0.5
  commands echo
  cat "$work/echo.out"
  run "printf 'hello\nhow are you?\n' | nc -N localhost 9001"
  run "python3 -c 'import socket; s = socket.create_connection((\"localhost\", 9001)); s.sendall(b\"hi from python\n\"); print(s.recv(1024).decode(), end=\"\")'"
  stop echo INT
}
sample_echo_stamp_udp() { run "pigeon echo --stamp -t udp --listen 9001"; }

# ---- docs/link.md ----
sample_link_listen() {
  start link "pigeon link --listen 0 --forward 127.0.0.1:9000 loss=5%,delay=20ms,jitter=5ms,seed=7"
  pause 0.5
  stop link INT
  shown link
}
sample_link_counters() {
  start echo "pigeon echo --listen 9000 -t udp"
  start link "pigeon link --bind 127.0.0.1 --listen 9001 --forward 127.0.0.1:9000 loss=5%,delay=20ms,jitter=5ms,seed=7"
  pause 0.5
  commands echo link
  run "pigeon bench --target 127.0.0.1:9001 -t udp --pattern stream --interval 1 --count 1000 >/dev/null"
  stop link INT
  stop echo INT
  grep ': up:\|: down:' "$work/link.out" || true
}
sample_link_seeds() {
  run "pigeon bench --link loss=5%,up.seed=5 --seed 7 --count 1000 | grep -A3 '^impaired link'"
}

# ---- docs/results.md ----
sample_results_json() {
  cd "$work"
  run "pigeon bench -t udp --count 1000 --link loss=5%,seed=1 --json run.json >/dev/null"
  run "python3 -c 'import json; r = json.load(open(\"run.json\")); r[\"results\"] = [dict(list(t.items())[:6]) for t in r[\"results\"]]; print(json.dumps(r, indent=2))'"
}
sample_results_log() {
  cd "$work"
  run "pigeon bench -t udp --count 100 --log log.jsonl >/dev/null && head -1 log.jsonl"
}
sample_results_log_rudp() {
  cd "$work"
  run "pigeon bench -t rudp --count 2000 --log log.jsonl >/dev/null && grep -m1 counters log.jsonl"
}

# ---- docs/rooms.md ----
sample_rooms_tcp() {
  start room "pigeon room"
  pause 0.5
  start bob "pigeon chat --room localhost:9100 --nick bob" "sleep 1.5; echo 'hello alice'; sleep 4; echo /quit"
  pause 0.3
  start alice "pigeon chat --room localhost:9100 --nick alice" "sleep 1.5; echo 'hi all'; sleep 1; echo /who; echo '/msg bob see you at 10'; sleep 1; echo /quit"
  pause 0.3
  start nc "nc localhost 9100" "sleep 1.5; echo 'hi from nc'; sleep 0.3; echo '/nick carol'; sleep 2.2"
  stop alice
  pause 0.3
  stop nc TERM
  stop bob
  pause 0.3
  stop room INT
  commands room alice bob nc
  screens alice bob nc room
}
sample_rooms_nick() {
  start room "pigeon room --port 9101"
  pause 0.5
  start alice "pigeon chat --room localhost:9101 --nick alice" "sleep 2"
  pause 0.5
  start other "pigeon chat --room localhost:9101 --nick ALICE" "sleep 1"
  stop other
  stop alice
  stop room INT
  commands room alice other
  screens other
}
sample_rooms_udp() {
  start room "pigeon room -t udp --port 9200"
  start link "pigeon link --listen 9201 --forward 127.0.0.1:9200 loss=20%,duplicate=10%,reorder=10%,seed=7"
  pause 0.5
  start bob "pigeon chat -t udp --room localhost:9201 --nick bob" "sleep 4"
  pause 0.3
  start alice "pigeon chat -t udp --room localhost:9200 --nick alice" "$(lines 1 12)"
  stop alice
  stop bob
  stop link INT
  stop room INT
  commands room link alice bob
  screens bob
}
sample_rooms_udp_closed() {
  start room "pigeon room -t udp --port 9200"
  start link "pigeon link --listen 9201 --forward 127.0.0.1:9200 loss=20%,seed=3"
  pause 0.5
  start bob "pigeon chat -t udp --room localhost:9201 --nick bob" "sleep 8"
  pause 0.3
  start alice "pigeon chat -t udp --room localhost:9200 --nick alice" "$(lines 1 30); sleep 3"
  pause 5.5
  stop room INT
  stop bob
  stop alice
  stop link INT
  commands room link alice bob
  printf '== bob (its last 6 lines)\n'
  tail -6 "$work/bob.out"
}
sample_rooms_rudp() {
  start room "pigeon room -t rudp --port 9300"
  pause 0.5
  start alice "pigeon chat -t rudp --room localhost:9300 --nick alice" "sleep 1.5; echo 'hi from alice'; sleep 0.5; echo /who; sleep 1; echo /quit"
  pause 0.5
  start bob "pigeon chat -t rudp --room localhost:9300 --nick bob" "sleep 0.5; echo 'hi from bob'; sleep 2.5; echo /quit"
  stop alice
  stop bob
  stop room INT
  commands room alice bob
  screens alice
}

# ---- docs/protocol.md ----
sample_protocol_crc() {
  run "python3 -c \"import zlib; print(hex(zlib.crc32(bytes.fromhex('5047010100010000000000020000000700000000000000010102030405060708' '6869'))))\""
}

# ---- README.md ----
sample_readme_chat() {
  start alice "pigeon chat --listen 9000 --nick alice          # terminal 1" "sleep 1.5; echo 'hello bob'; sleep 2"
  pause 0.5
  start bob "pigeon chat --peer 127.0.0.1:9000 --nick bob    # terminal 2" "sleep 0.5; echo 'hi alice'; sleep 1.5; echo /quit"
  stop bob
  stop alice
  commands alice bob
  screens alice bob
}
sample_readme_bench() { run "pigeon bench"; }
sample_readme_quiet() {
  start alice "pigeon chat --listen 9000 --nick alice" "sleep 11"
  pause 0.5
  start bob "pigeon chat --peer 127.0.0.1:9000 --nick bob" "echo 'hi alice'; sleep 10"
  pause 1
  commands alice bob
  printf '$ kill -STOP "$bob_pid"; sleep 5; kill -CONT "$bob_pid"\n'
  if [[ $DRY -eq 0 ]]; then
    kill -STOP "$(cat "$work/bob.pid")" || true
    sleep 5
    kill -CONT "$(cat "$work/bob.pid")" || true
    sleep 1
  fi
  stop bob TERM
  stop alice TERM
  screens alice
}

samples() { declare -F | awk '{print $3}' | sed -n 's/^sample_//p'; }
markers() { grep -ho '<!-- sample: [a-z0-9_]* -->' "${DOCS[@]/#/$root/}" | sed 's/<!-- sample: \(.*\) -->/\1/'; }

check() {
  local failed=0 name sub
  for name in $(markers); do
    declare -F "sample_$name" >/dev/null || { echo "docs-samples: marker '$name' has no sample_$name"; failed=1; }
  done
  for name in $(samples); do
    markers | grep -qx "$name" || { echo "docs-samples: sample_$name is used by no marker"; failed=1; }
    for sub in $(declare -f "sample_$name" | grep -o 'pigeon [a-z]*' | awk '{print $2}' | sort -u); do
      pigeon "$sub" --help >/dev/null 2>&1 || { echo "docs-samples: sample_$name runs 'pigeon $sub', which does not exist"; failed=1; }
    done
  done
  local dry
  dry="$(mktemp -d "${TMPDIR:-/tmp}/docs-samples-check.XXXXXX")"
  for name in $(samples); do
    (work="$dry"; DRY=1; "sample_$name") | grep '^\$ ' >"$dry/$name.commands" || true
  done
  python3 - "$root" "$1" "$dry" "${DOCS[@]}" <<'EOF' || failed=1
import os, re, sys
root, content, dry, docs = sys.argv[1], sys.argv[2] == "content", sys.argv[3], sys.argv[4:]
bad = 0
for doc in docs:
    text = open(f"{root}/{doc}").read()
    opens = re.findall(r"<!-- sample: ([a-z0-9_]+) -->", text)
    blocks = re.findall(r"<!-- sample: ([a-z0-9_]+) -->\n```\n(.*?)```\n<!-- /sample -->", text, re.S)
    if len(blocks) != len(opens) or text.count("<!-- /sample -->") != len(opens):
        print(f"docs-samples: {doc}: a marker is not closed, or its block is not ``` ... ```"); bad = 1
    for name, body in blocks:
        f = f"{dry}/{name}.commands"
        want = open(f).read().splitlines() if os.path.exists(f) else []
        have = [l for l in body.splitlines() if l.startswith("$ ") and l != "$ echo $?"]
        if content and have != want:
            print(f"docs-samples: {doc}: sample {name} does not show the commands sample_{name} "
                  f"runs (shows {have[:3]}, runs {want[:3]}): run scripts/docs-samples.sh {name}")
            bad = 1
    outside = re.sub(r"<!-- sample: [a-z0-9_]+ -->.*?<!-- /sample -->", "", text, flags=re.S)
    for fence in re.findall(r"```[a-z]*\n(.*?)```", outside, re.S):
        if re.search(r"^\$ pigeon", fence, re.M):
            print(f"docs-samples: {doc}: a '$ pigeon' sample outside the markers:\n{fence[:200]}"); bad = 1
sys.exit(bad)
EOF
  rm -rf "$dry"
  return $failed
}

if [[ "${1:-}" == "--check" ]]; then
  check content && echo "docs-samples: $(markers | wc -l) samples, all generated by this script"
  exit $?
fi
[[ $(id -u) -eq 0 ]] || { echo "docs-samples: run as root (the lab samples build namespaces)" >&2; exit 2; }
command -v pigeon >/dev/null || { echo "docs-samples: no pigeon in $PIGEON_DIR" >&2; exit 2; }
check structure
work="$(mktemp -d "${TMPDIR:-/tmp}/docs-samples.XXXXXX")"
wanted=("$@")
[[ ${#wanted[@]} -gt 0 ]] || mapfile -t wanted < <(markers)
for name in "${wanted[@]}"; do
  echo "docs-samples: $name" >&2
  (cd "$root" && "sample_$name") >"$work/$name.sample" 2>&1
  sed -i 's/[[:space:]]*$//' "$work/$name.sample"  # no trailing blanks
done
python3 - "$root" "$work" "${wanted[*]}" "${DOCS[@]}" <<'EOF'
import re, sys
root, work, wanted, docs = sys.argv[1], sys.argv[2], sys.argv[3].split(), sys.argv[4:]
for doc in docs:
    path = f"{root}/{doc}"
    text = open(path).read()
    def fill(m):
        name = m.group(1)
        if name not in wanted:
            return m.group(0)
        body = open(f"{work}/{name}.sample").read().rstrip("\n")
        return f"<!-- sample: {name} -->\n```\n{body}\n```\n<!-- /sample -->"
    new = re.sub(r"<!-- sample: ([a-z0-9_]+) -->\n```\n.*?```\n<!-- /sample -->", fill, text, flags=re.S)
    if new != text:
        open(path, "w").write(new)
        print(f"docs-samples: rewrote {doc}", file=sys.stderr)
EOF
