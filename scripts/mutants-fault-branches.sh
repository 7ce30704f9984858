#!/usr/bin/env bash
# The test of the mutants that survive the conformance suite because they sit in a fault
# branch (docs/mutants.md): code that only runs with a fault switch on, which the clean
# suite never runs. Their test is the self-test of that fault: each mutant is applied to the
# working tree, smartcheck is built, and `smartcheck selftest --fault <fault>` is run. The
# mutant is killed when the self-test fails (the fault is then missed or breaks other rules),
# and survives when the fault is still caught as it should be.
#
#   scripts/mutants-fault-branches.sh docs/mutants-runs/<run>/fault-branches.tsv
#
# Each line of the list is `<fault>\t<mutant name>`, the name as cargo-mutants prints it. A name
# whose line numbers moved since its run is found by the rest of the name when that is unique.
# Results: target/mutants/fault-branches/{killed,survived,error}.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
list="${1:?usage: $0 <fault-branches.tsv>}"
out=target/mutants/fault-branches
mkdir -p "$out"
: >"$out/killed.txt"
: >"$out/survived.txt"
: >"$out/error.txt"
# A build directory of its own, without debug info, so the mutants' builds neither rebuild
# nor are rebuilt by the ordinary debug builds.
export CARGO_TARGET_DIR=target/mutants-faults CARGO_PROFILE_DEV_DEBUG=0
backup=$(mktemp -d)
restore() { if [ -n "${file:-}" ] && [ -f "$backup/file" ]; then cp "$backup/file" "$file"; fi; }
trap 'restore; rm -rf "$backup"' EXIT

while IFS=$'\t' read -r fault name; do
  case "$fault" in '' | '#'*) continue ;; esac
  file="${name%%:*}"
  # The mutant's diff at this commit: by its exact name, or by its name without the position.
  diff=$(cargo mutants --list --diff --json -p reference-server -f "$file" 2>/dev/null | python3 -c '
import json, re, sys
name = sys.argv[1]
strip = lambda n: re.sub(r"^([^:]+):\d+:\d+:", r"\1:", n)
mutants = json.load(sys.stdin)
exact = [m for m in mutants if m["name"] == name]
moved = [m for m in mutants if strip(m["name"]) == strip(name)]
found = exact or (moved if len(moved) == 1 else [])
if found:
    sys.stdout.write(found[0]["diff"])
' "$name")
  if [ -z "$diff" ]; then
    echo "NOT FOUND $name" | tee -a "$out/error.txt"
    continue
  fi
  cp "$file" "$backup/file"
  if ! printf '%s\n' "$diff" | patch --quiet "$file"; then
    restore
    echo "NO PATCH  $name" | tee -a "$out/error.txt"
    continue
  fi
  if ! cargo build --quiet --bin smartcheck 2>"$out/build.log"; then
    restore
    echo "UNVIABLE  $name" | tee -a "$out/error.txt"
    continue
  fi
  restore
  status=0
  "$CARGO_TARGET_DIR/debug/smartcheck" selftest --fault "$fault" --out "$out/selftest" \
    >"$out/selftest.log" 2>&1 || status=$?
  case "$status" in
    0) echo "SURVIVED  $name (selftest --fault $fault still catches it)" | tee -a "$out/survived.txt" ;;
    1) echo "KILLED    $name (selftest --fault $fault: $(grep -m1 -E "^ +$fault +" "$out/selftest.log" | xargs))" | tee -a "$out/killed.txt" ;;
    *) echo "ERROR     $name (selftest exit $status)" | tee -a "$out/error.txt" ;;
  esac
done <"$list"
# Leave the tree's own build as it was: the last mutant's binary is not the tree's.
echo "fault branches: $(grep -c . "$out/killed.txt" || true) killed, $(grep -c . "$out/survived.txt" || true) survived, $(grep -c . "$out/error.txt" || true) errors"
