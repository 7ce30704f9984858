#!/usr/bin/env bash
# Mutation testing of the reference server's rule code (issue 13 part 6), with the conformance
# suite as the only test: each mutant of the rule files below is built and the built-in suite
# is run against the bundled server in-process (`cargo test --test engine`, set in
# .cargo/mutants.toml); a mutant the suite still passes is a rule no check holds the server to.
# The score and every survivor's reason are in docs/mutants.md. Long (about half a minute a
# mutant): not in CI.
#
#   scripts/mutants.sh                      # every mutant in scope
#   FILES="reference-server/src/scope.rs reference-server/src/auth/*.rs" scripts/mutants.sh
#   SHARD=1/6 scripts/mutants.sh            # every sixth mutant (round-robin: a sample of all files)
#   ITERATE=1 scripts/mutants.sh            # skip what earlier runs caught; results accumulate
#   JOBS=2 scripts/mutants.sh               # two build directories (each ~6 GB)
#
# Results: target/mutants/mutants.out/{caught,missed,timeout,unviable}.txt and outcomes.json;
# scripts/mutants-score.sh prints the score from them.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=27.1.0
if ! cargo mutants --version 2>/dev/null | grep -qF "$VERSION"; then
  cargo install cargo-mutants --version "$VERSION" --locked
fi

# The rule code: authorization, token, scope, redirect, client registry, discovery, gateway,
# FHIR search and paging, portal, app-id and patient keys. Not in scope: the generated data
# (data/), the fault table (faults.rs), pages and plumbing (home, html, admin, main, config,
# limits, state, store).
SCOPE="reference-server/src/auth/*.rs reference-server/src/tokens.rs
  reference-server/src/scope.rs reference-server/src/redirect.rs
  reference-server/src/registry.rs reference-server/src/discovery.rs
  reference-server/src/gateway/*.rs reference-server/src/fhir/*.rs
  reference-server/src/portal/*.rs reference-server/src/app_id.rs
  reference-server/src/patient_keys/*.rs"

# The baseline is skipped: cargo-mutants 27 runs it on the mutated package's own tests whatever
# --test-workspace says, and `--test engine` is not one of them. The unmutated suite passing is
# what CI proves on every commit; the timeout is set instead of derived from the baseline.
args=(-p reference-server --test-workspace true --output target/mutants --no-shuffle
  -j "${JOBS:-1}" --baseline skip --timeout 180 --build-timeout 900)
set -f # the globs are for cargo-mutants, not the shell
for f in ${FILES:-$SCOPE}; do args+=(-f "$f"); done
set +f
# Round-robin shards are disjoint samples spread over every file, so each shard's score is an
# estimate of the whole scope's and the shards together are the scope.
if [ -n "${SHARD:-}" ]; then args+=(--shard "$SHARD" --sharding round-robin); fi
if [ -n "${ITERATE:-}" ]; then args+=(--iterate); fi

mkdir -p target/mutants
# No debug info: the suite needs none, and linking the test binary without it is much faster.
export CARGO_PROFILE_DEV_DEBUG=0 CARGO_PROFILE_TEST_DEBUG=0
# cargo-mutants exits 2 when mutants were missed and 3 on timeouts: results, not failures.
status=0
cargo mutants "${args[@]}" || status=$?
case "$status" in
  0 | 2 | 3) scripts/mutants-score.sh target/mutants/mutants.out ;;
  *) exit "$status" ;;
esac
