# Sourced by the bench scripts. On a VM the host can take a core away for
# milliseconds (steal time, /proc/stat), which no program inside can help:
# a tail latency measured then is the host's as much as pigeon's. The
# scripts print it beside their figures, with the load average.

# steal_mark: "STEAL TOTAL", the machine's steal and total CPU ticks so far.
steal_mark() { awk '/^cpu / {print $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat; }

# steal_percent MARK: the share of CPU time (%) the host took since MARK.
steal_percent() {
  awk -v a="$1" -v b="$(steal_mark)" 'BEGIN {
    split(a, x, " "); split(b, y, " "); total = y[2] - x[2]
    printf "%.0f", (total > 0 ? 100 * (y[1] - x[1]) / total : 0) }'
}
