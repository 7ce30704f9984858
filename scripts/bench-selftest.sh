#!/usr/bin/env bash
# Wall time of the whole self-test matrix (`smartcheck selftest`: the suite against the clean
# bundled server and against one server per fault switch, 4 at a time), release build:
#   scripts/bench-selftest.sh            (env: RUNS=3)
# Prints each run's wall time and the median. Goal (issue 6): under a minute on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
cargo build --release -q -p smartcheck
times=()
for i in $(seq "$RUNS"); do
    start=$(date +%s.%N)
    target/release/smartcheck selftest --out target/bench-selftest >/dev/null 2>&1
    end=$(date +%s.%N)
    t=$(python3 -c "print(f'{$end - $start:.2f}')")
    echo "run $i: ${t} s"
    times+=("$t")
done
python3 - "${times[@]}" <<'PY'
import statistics, sys
ts = sorted(float(t) for t in sys.argv[1:])
print(f"median {statistics.median(ts):.2f} s (min {ts[0]:.2f}, max {ts[-1]:.2f}) over {len(ts)} runs")
PY
