#!/usr/bin/env bash
# Benchmark: wall time of `smartcheck run` against the bundled server, release build,
# including the in-process server's start (RSA key generation). Median of RUNS runs.
# With BASELINE=<an older smartcheck binary>, the two run alternately in the same loop (this
# machine is shared and noisy: only a side-by-side ratio means something) and the ratio of
# the medians is printed.
# Usage: scripts/bench-suite.sh   (env: RUNS=9, BASELINE=path/to/smartcheck, ARGS="--jobs 1")
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-9}
ARGS=${ARGS:-}
cargo build --release -q -p smartcheck
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT

# Seconds one run of `$@` takes; its summary line goes to $out/summary-<binary's folder>.
timed() {
  local t0 t1
  t0=$(date +%s.%N)
  "$@" --out "$out" > "$out/summary-$(basename "$(dirname "$1")")"
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}'
}

# "median min max" of the numbers on stdin.
stats() {
  sort -g | awk '{a[NR]=$1} END {n=NR; printf "%.3f %.3f %.3f\n", (n%2)?a[(n+1)/2]:(a[n/2]+a[n/2+1])/2, a[1], a[n]}'
}

now=(); before=()
for _ in $(seq "$RUNS"); do
  # shellcheck disable=SC2086
  now+=("$(timed target/release/smartcheck run $ARGS)")
  if [[ -n "${BASELINE:-}" ]]; then
    before+=("$(timed "$BASELINE" run)")
  fi
done
tail -1 "$out/summary-release"
read -r med min max < <(printf '%s\n' "${now[@]}" | stats)
echo "smartcheck run $ARGS: median $med s, min $min s, max $max s over $RUNS runs (goal < 3 s)"
if [[ -n "${BASELINE:-}" ]]; then
  read -r bmed bmin bmax < <(printf '%s\n' "${before[@]}" | stats)
  echo "baseline $BASELINE run: median $bmed s, min $bmin s, max $bmax s over $RUNS runs"
  awk -v a="$med" -v b="$bmed" 'BEGIN {printf "ratio (this / baseline, medians): %.2f\n", a / b}'
fi
