#!/usr/bin/env bash
# Benchmark (issue 3): wall time of `smartcheck run` against the bundled server, release build,
# including the in-process server's start (RSA key generation). Median of RUNS runs.
# Usage: scripts/bench-suite.sh   (env: RUNS=9)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-9}
cargo build --release -q -p smartcheck
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
times=()
for _ in $(seq "$RUNS"); do
  t0=$(date +%s.%N)
  summary=$(target/release/smartcheck run --out "$out")
  t1=$(date +%s.%N)
  times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')")
done
echo "$summary"
printf '%s\n' "${times[@]}" | sort -g | awk -v n="$RUNS" '{a[NR]=$1} END {printf "smartcheck run: median %.3f s, min %.3f s, max %.3f s over %d runs (goal < 3 s)\n", (n%2)?a[(n+1)/2]:(a[n/2]+a[n/2+1])/2, a[1], a[n], n}'
