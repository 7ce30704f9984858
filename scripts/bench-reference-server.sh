#!/usr/bin/env bash
# Benchmark of the reference server (issue 2):
#  (a) Patient read through the gateway beside a trivial axum handler, same wrk settings,
#      alternating rounds in one run; reports the median requests/s of each and their ratio.
#  (b) Authorization-code exchanges per second, each signing an RS256 id_token (codes minted
#      first through the real login and consent forms).
#  (c) Start-up with --members 10000: time until the server answers (median of ROUNDS).
# Installs wrk from Debian's packages when missing. Loopback only; every run is bounded.
# Usage: scripts/bench-reference-server.sh   (env: DURATION=10 CONNECTIONS=64 ROUNDS=3 CODES=3000)
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
ROUNDS=${ROUNDS:-3}
CODES=${CODES:-3000}
REF_PORT=${REF_PORT:-18080}
TRIVIAL_PORT=${TRIVIAL_PORT:-18081}

if ! command -v wrk >/dev/null; then
  echo "installing wrk from Debian's packages" >&2
  apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi

cargo build --release -q -p reference-server --bin reference-server --example bench_client --example trivial_server

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

target/release/reference-server --bind "127.0.0.1:$REF_PORT" --code-ttl 600 >/dev/null 2>&1 &
pids+=($!)
target/release/examples/trivial_server "127.0.0.1:$TRIVIAL_PORT" >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 50); do
  curl -sf "http://127.0.0.1:$REF_PORT/fhir/metadata" >/dev/null && curl -sf "http://127.0.0.1:$TRIVIAL_PORT/" >/dev/null && break
  sleep 0.2
done

ROOT="http://127.0.0.1:$REF_PORT"
TOKEN=$(target/release/examples/bench_client token "$ROOT")
PATIENT_URL="$ROOT/fhir/Patient/ffaa7043-d695-4cf0-a541-945bca539041"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$PATIENT_URL")
[ "$code" = 200 ] || { echo "Patient read answered $code" >&2; exit 1; }

rps() { # url [header]
  local out
  if [ $# -gt 1 ]; then
    out=$(wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" -H "$2" "$1")
  else
    out=$(wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" "$1")
  fi
  if echo "$out" | grep -q "Non-2xx"; then echo "non-2xx answers from $1" >&2; echo "$out" >&2; exit 1; fi
  echo "$out" | awk '/Requests\/sec/ {print $2}'
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

trivial=(); reads=()
for r in $(seq "$ROUNDS"); do
  trivial+=("$(rps "http://127.0.0.1:$TRIVIAL_PORT/")")
  reads+=("$(rps "$PATIENT_URL" "Authorization: Bearer $TOKEN")")
  echo "round $r: trivial ${trivial[-1]} req/s, Patient read ${reads[-1]} req/s" >&2
done
t_med=$(printf '%s\n' "${trivial[@]}" | median)
r_med=$(printf '%s\n' "${reads[@]}" | median)

exchanges=()
for r in $(seq "$ROUNDS"); do
  x=$(target/release/examples/bench_client exchange "$ROOT" "$CODES" 16 | sed -n 's/.*"per_second":\([0-9.]*\).*/\1/p')
  exchanges+=("$x")
  echo "round $r: ${x} code exchanges/s" >&2
done
x_med=$(printf '%s\n' "${exchanges[@]}" | median)

startups=()
for r in $(seq "$ROUNDS"); do
  t0=$(date +%s.%N)
  target/release/reference-server --bind "127.0.0.1:$((REF_PORT + 2))" --members 10000 >/dev/null 2>&1 &
  p=$!
  until curl -sf "http://127.0.0.1:$((REF_PORT + 2))/fhir/metadata" >/dev/null; do sleep 0.01; done
  t1=$(date +%s.%N)
  kill "$p"; wait "$p" 2>/dev/null || true
  startups+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')")
  echo "round $r: ready with 10000 members in ${startups[-1]} s" >&2
done
s_med=$(printf '%s\n' "${startups[@]}" | median)

echo
echo "machine: $(nproc) cores; wrk -t1 -c$CONNECTIONS -d${DURATION}s; $ROUNDS alternating rounds; medians"
printf 'trivial axum handler:        %10.0f req/s\n' "$t_med"
printf 'Patient read via gateway:    %10.0f req/s  (%.2fx trivial; goal >= 0.6x)\n' "$r_med" "$(awk -v a="$r_med" -v b="$t_med" 'BEGIN {print a / b}')"
printf 'ready with 10000 members:    %10.3f s      (goal < 2 s; includes RSA key generation)\n' "$s_med"
printf 'code exchanges (+id_token):  %10.0f /s     (goal >= 1000/s; %s codes, 16 workers)\n' "$x_med" "$CODES"
