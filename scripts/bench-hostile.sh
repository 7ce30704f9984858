#!/usr/bin/env bash
# Benchmark: what a hostile target costs the harness (issue 13 part 8), release build:
# a deeply nested login page parsed by our linear tree builder against html5ever's, and a
# 2 MiB body redacted with 3,000 known secrets by the automaton against one secret at a time.
# Side by side in one process; medians of ROUNDS rounds.
# Usage: scripts/bench-hostile.sh   (env: ROUNDS=3)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q --example bench_hostile
ROUNDS=${ROUNDS:-3} target/release/examples/bench_hostile
