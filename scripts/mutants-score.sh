#!/usr/bin/env bash
# The mutation score of a cargo-mutants output directory (default target/mutants/mutants.out):
# killed = caught + timeout (a mutant that hangs the suite is detected), viable = killed +
# missed; unviable mutants (they do not build) are left out. With --iterate, earlier runs'
# catches are in previously_caught.txt and count as caught.
set -euo pipefail
out="${1:-target/mutants/mutants.out}"
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
