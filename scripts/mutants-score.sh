#!/usr/bin/env bash
# The mutation score of a cargo-mutants output directory (default target/mutants/mutants.out):
# killed = caught + timeout (a mutant that hangs the suite is detected), viable = killed +
# missed; unviable mutants (they do not build) are left out. With --iterate, earlier runs'
# catches are in previously_caught.txt and count as caught.
#
# With a survivors file (default <dir>/survivors.tsv: each survivor's class and whether it was
# killed since, by its fault's self-test or a new check; docs/mutants.md), two more figures:
# the score with those kills, and against the mutants that are defects (survivors classed
# no-rule, equivalent, legitimate, housekeeping or excluded leave the denominator; a fault
# branch that survives its self-test stays in it).
#
#   scripts/mutants-score.sh [dir] [survivors.tsv]
set -euo pipefail
out="${1:-target/mutants/mutants.out}"
survivors="${2:-$out/survivors.tsv}"
# grep -c prints 0 (and exits 1) for an empty file.
n() { if [ -f "$out/$1" ]; then grep -c . "$out/$1" || true; else echo 0; fi; }
caught=$(( $(n caught.txt) + $(n previously_caught.txt) ))
timeout=$(n timeout.txt)
missed=$(n missed.txt)
unviable=$(n unviable.txt)
killed=$((caught + timeout))
viable=$((killed + missed))
if [ "$viable" -eq 0 ]; then
  echo "no viable mutants tested in $out"
  exit 1
fi
echo "mutants: $viable viable ($caught caught, $timeout timeout, $missed missed), $unviable unviable"
awk -v k="$killed" -v v="$viable" 'BEGIN { printf "score: %d of %d viable mutants killed (%.1f%%)\n", k, v, 100 * k / v }'
if [ -f "$survivors" ]; then
  awk -F'\t' -v k="$killed" -v v="$viable" '
    /^#/ || NF < 3 { next }
    { rows++ }
    $3 == "killed" { since++ }
    $2 ~ /^(no-rule|equivalent|legitimate|housekeeping|excluded)$/ { out++ }
    END {
      if (rows != v - k) printf "warning: %d survivors classified, %d missed\n", rows, v - k
      printf "with the %d killed since: %d of %d (%.1f%%)\n", since, k + since, v, 100 * (k + since) / v
      printf "against the %d mutants that are defects (%d not): %d of %d (%.1f%%)\n", v - out, out, k + since, v - out, 100 * (k + since) / (v - out)
    }' "$survivors"
fi
