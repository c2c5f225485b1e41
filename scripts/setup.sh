#!/usr/bin/env bash
# Installs what pigeon needs to build, test and benchmark on Debian.
# Idempotent: a package already installed is left alone, and apt is not
# touched at all when nothing is missing. Run as root (or with sudo).
set -euo pipefail

packages=(
  g++ cmake make pkg-config
  libpoco-dev            # Foundation, Net, Util, JSON
  libgtest-dev libgmock-dev googletest
  libbenchmark-dev
  libssl-dev             # OpenSSL EVP SHA-256 for send/receive
  python3                # the raw-UTF-8 peer in the end-to-end tests
  netcat-openbsd socat   # plain peers in the end-to-end tests
  sockperf iperf3        # peer tools that bench/compare measures against
  tftpd-hpa tftp-hpa     # TFTP (RFC 1350 stop-and-wait) beside rudp in bench/files-compare
  time                   # /usr/bin/time: bench/compare's maximum resident set
  iproute2               # ip, ss: pigeon lab builds its namespaces with ip
  iputils-ping           # ping across pigeon lab in its end-to-end test
  stress-ng              # bench/rudp-loss: the other core kept busy beside the run
  clang libclang-rt-dev  # clang++ and libFuzzer for scripts/fuzz.sh (docs/fuzzing.md)
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#packages[@]} packages already installed"
  exit 0
fi

sudo=""
if ((EUID != 0)); then sudo="sudo"; fi
echo "setup: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
  "${missing[@]}" </dev/null
