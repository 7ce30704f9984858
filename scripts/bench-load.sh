#!/usr/bin/env bash
# Benchmark of the load generator, `smartcheck load` (issue 4). The reference server always
# runs as a separate process (release build) on 127.0.0.1 with a free port; every run is
# bounded (a hung run is killed and reported).
#  (a) Generator efficiency: `smartcheck load --profile healthz --users C` beside
#      `wrk -t1 -cC` against the same /healthz, rounds alternating, for each C of CONNS:
#      median req/s of each, their ratio, CPU (user+sys) per request of each generator and
#      of the server.
#  (b) Accuracy: server with --inject-delay-ms 20: closed model (4 users), open model
#      (--rate 50) and wrk --latency (-c4) as a cross-check, p50 against 20 ms. Then a server
#      that stalls 1 s every 5 s (plus a 5 ms delay), fresh for each run: closed model
#      (4 users) beside the open model (--rate 100 --max-in-flight 1000), 12 s each.
#  (c) Memory: peak RSS of --users 1000 --increase-rate 1000 minus that of --users 1 (8 s
#      each, rounds alternating); then, against a server that answers after 1 s, the open
#      model with ~1000 requests in flight (one shared HTTP client) beside 1000 goose users
#      (one shared HTTP client), to tell the cost of a connection from that of a goose user.
# CPU placement (PIN=1, default, on 2+ cores): the server on CPU 0, each generator (smartcheck
# or wrk) on CPU 1, both with taskset, so neither steals the other's core; PIN=0 leaves it to
# the scheduler. Installs wrk, GNU time and taskset from Debian's packages when missing.
# Raw outputs (load.json, latency.html, wrk output) are kept in RESULTS (wiped at start).
# Usage: scripts/bench-load.sh
#   (env: DURATION=10 ROUNDS=3 CONNS="8 32" MEM_ROUNDS=2 PIN=1 PARTS=abc RESULTS=target/bench-load)
# Takes about 4 minutes after the build (PARTS=a: about 2 minutes).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-"8 32"}
MEM_ROUNDS=${MEM_ROUNDS:-2}
PIN=${PIN:-1}
PARTS=${PARTS:-abc}
RESULTS=${RESULTS:-target/bench-load}

# --- tools -------------------------------------------------------------------------------
need=()
command -v wrk >/dev/null || need+=(wrk)
[[ -x /usr/bin/time ]] || need+=(time)
command -v taskset >/dev/null || need+=(util-linux)
command -v python3 >/dev/null || need+=(python3)
if ((${#need[@]})); then
  echo "installing ${need[*]} from Debian's packages" >&2
  SUDO=()
  if [[ $(id -u) -ne 0 ]]; then SUDO=(sudo); fi
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "${need[@]}" >/dev/null
fi

cargo build --release -q -p smartcheck -p reference-server
SMARTCHECK=target/release/smartcheck
SERVER_BIN=target/release/reference-server

# 1000 users need 1000 sockets in the generator and as many in the server.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if (($(ulimit -n) < 4096)); then echo "open-file limit $(ulimit -n) < 4096: part (c) needs more" >&2; exit 1; fi

SRV_PIN=(); GEN_PIN=()
if [[ $PIN == 1 ]] && (($(nproc) >= 2)); then SRV_PIN=(taskset -c 0); GEN_PIN=(taskset -c 1); fi

rm -rf "$RESULTS"; mkdir -p "$RESULTS"
RESULTS=$(cd "$RESULTS" && pwd)

# --- servers -----------------------------------------------------------------------------
pids=()
SERVER_PID=; PORT=; PROFILE=
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_server NAME [reference-server options]: sets SERVER_PID, PORT and PROFILE (a target
# profile pointing at it).
start_server() {
  local name=$1; shift
  local log=$RESULTS/server-$name.log
  "${SRV_PIN[@]}" "$SERVER_BIN" --bind 127.0.0.1:0 "$@" >"$log" 2>&1 &
  SERVER_PID=$!
  pids+=("$SERVER_PID")
  PORT=
  for _ in $(seq 100); do
    PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log")
    [[ -n $PORT ]] && break
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "server $name died:" >&2; cat "$log" >&2; exit 1; }
    sleep 0.1
  done
  [[ -n $PORT ]] || { echo "server $name did not start" >&2; exit 1; }
  PROFILE=$RESULTS/target-$name.toml
  printf 'name = "bench"\n[patient_access]\nbase_url = "http://127.0.0.1:%s/fhir"\n' "$PORT" >"$PROFILE"
}

stop_server() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  local keep=() p
  for p in "${pids[@]}"; do [[ $p == "$SERVER_PID" ]] || keep+=("$p"); done
  pids=("${keep[@]}")
}

# CPU ticks (user+sys) the running server has used so far.
server_ticks() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }

# --- generators --------------------------------------------------------------------------
# sc DIR SECONDS [smartcheck load options]: one `smartcheck load --profile healthz` run against
# the current server; DIR gets load.json, latency.html, time.txt (user sys maxrss_kb wall)
# and server_ticks.txt. A run that outlives SECONDS + 45 s is killed and reported.
sc() {
  local dir=$1 secs=$2; shift 2
  mkdir -p "$dir"
  local t0 rc=0
  t0=$(server_ticks)
  timeout -s KILL $((secs + 45)) /usr/bin/time -f '%U %S %M %e' -o "$dir/time.txt" \
    "${GEN_PIN[@]}" "$SMARTCHECK" load --profile healthz --target "$PROFILE" --out "$dir" "$@" \
    >"$dir/stdout.txt" 2>"$dir/stderr.txt" || rc=$?
  echo $(($(server_ticks) - t0)) >"$dir/server_ticks.txt"
  if ((rc != 0)) || [[ ! -f $dir/load.json ]]; then
    echo "smartcheck load $* failed (exit $rc$( ((rc == 137)) && echo ': killed, still running after '$((secs + 45))' s'))" >&2
    cat "$dir/stderr.txt" "$dir/stdout.txt" >&2
    exit 1
  fi
}

# wrkrun DIR CONNECTIONS [wrk options]: wrk against /healthz of the current server.
wrkrun() {
  local dir=$1 c=$2; shift 2
  mkdir -p "$dir"
  local t0
  t0=$(server_ticks)
  /usr/bin/time -f '%U %S %M %e' -o "$dir/time.txt" \
    "${GEN_PIN[@]}" wrk -t1 -c"$c" -d"${DURATION}s" "$@" "http://127.0.0.1:$PORT/healthz" >"$dir/wrk.txt"
  echo $(($(server_ticks) - t0)) >"$dir/server_ticks.txt"
  if grep -qE "Non-2xx|Socket errors" "$dir/wrk.txt"; then echo "wrk saw errors:" >&2; cat "$dir/wrk.txt" >&2; exit 1; fi
}

# One line of a run's figures, for the progress log.
brief() { python3 - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1] + "/load.json"))
t = d["total"]
c = t.get("corrected") or {}
print(f'{t["requests"]} requests, {t["rps"]:.0f} req/s, {t["failures"]} failed, raw p50 {t["raw"]["p50"]:.2f} '
      f'p99 {t["raw"]["p99"]:.2f} max {t["raw"]["max"]:.1f} ms'
      + (f', corrected p50 {c["p50"]:.2f} p99 {c["p99"]:.2f} ms' if c else ''))
PY
}

busy_pct() { # machine CPU busy over 2 s, in % of all cores
  local a b
  a=$(awk '/^cpu / {print $2+$3+$4+$7+$8+$9, $5+$6}' /proc/stat); sleep 2
  b=$(awk '/^cpu / {print $2+$3+$4+$7+$8+$9, $5+$6}' /proc/stat)
  awk -v a="$a" -v b="$b" 'BEGIN {split(a, x, " "); split(b, y, " "); u = y[1] - x[1]; i = y[2] - x[2]; printf "%.0f", 100 * u / (u + i)}'
}

{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "machine: $(nproc) cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)), kernel $(uname -r)"
  echo "placement: $([[ ${#SRV_PIN[@]} -gt 0 ]] && echo 'server taskset -c 0, generators taskset -c 1' || echo 'unpinned')"
  echo "busy before start (other processes): $(busy_pct)% of the machine; loadavg $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$RESULTS/machine.txt" >&2
began=$(date +%s)

# --- (a) efficiency ----------------------------------------------------------------------
start_server healthz
if [[ $PARTS == *a* ]]; then
  for c in $CONNS; do
    for r in $(seq "$ROUNDS"); do
      sc "$RESULTS/a/c$c/r$r/smartcheck" "$DURATION" --users "$c" --increase-rate 1000 --duration "${DURATION}s"
      wrkrun "$RESULTS/a/c$c/r$r/wrk" "$c"
      echo "(a) C=$c round $r: smartcheck $(python3 -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["total"]["rps"]))' "$RESULTS/a/c$c/r$r/smartcheck/load.json") req/s," \
        "wrk $(awk '/Requests\/sec/ {printf "%.0f", $2}' "$RESULTS/a/c$c/r$r/wrk/wrk.txt") req/s" >&2
    done
  done
fi

# --- (c) memory (same server) ------------------------------------------------------------
if [[ $PARTS == *c* ]]; then
  for r in $(seq "$MEM_ROUNDS"); do
    for u in 1 1000; do
      sc "$RESULTS/c/u$u/r$r" 8 --users "$u" --increase-rate 1000 --duration 8s
      echo "(c) $u users round $r: peak RSS $(awk '{printf "%.1f", $3 / 1024}' "$RESULTS/c/u$u/r$r/time.txt") MB; $(brief "$RESULTS/c/u$u/r$r")" >&2
    done
  done
fi
stop_server

if [[ $PARTS == *c* ]]; then
  start_server slow --inject-delay-ms 1000
  sc "$RESULTS/c/open-inflight1000" 8 --rate 1000 --max-in-flight 2000 --duration 8s
  echo "(c) open model, ~1000 in flight: peak RSS $(awk '{printf "%.1f", $3 / 1024}' "$RESULTS/c/open-inflight1000/time.txt") MB; $(brief "$RESULTS/c/open-inflight1000")" >&2
  sc "$RESULTS/c/closed-slow1000" 8 --users 1000 --increase-rate 1000 --duration 8s
  echo "(c) 1000 users, 1 s answers: peak RSS $(awk '{printf "%.1f", $3 / 1024}' "$RESULTS/c/closed-slow1000/time.txt") MB; $(brief "$RESULTS/c/closed-slow1000")" >&2
  stop_server
fi

# --- (b) accuracy ------------------------------------------------------------------------
if [[ $PARTS == *b* ]]; then
  start_server delay20 --inject-delay-ms 20
  sc "$RESULTS/b/delay20/closed" "$DURATION" --users 4 --increase-rate 1000 --duration "${DURATION}s"
  echo "(b) 20 ms delay, closed 4 users: $(brief "$RESULTS/b/delay20/closed")" >&2
  sc "$RESULTS/b/delay20/open" "$DURATION" --rate 50 --duration "${DURATION}s"
  echo "(b) 20 ms delay, open 50/s: $(brief "$RESULTS/b/delay20/open")" >&2
  wrkrun "$RESULTS/b/delay20/wrk" 4 --latency
  echo "(b) 20 ms delay, wrk -c4: p50 $(awk '$1 == "50%" {print $2}' "$RESULTS/b/delay20/wrk/wrk.txt")" >&2
  stop_server

  STALL=(--inject-stall-every-ms 5000 --inject-stall-ms 1000 --inject-delay-ms 5)
  start_server stall-closed "${STALL[@]}"
  sc "$RESULTS/b/stall/closed" 12 --users 4 --increase-rate 1000 --duration 12s
  echo "(b) stalls, closed 4 users: $(brief "$RESULTS/b/stall/closed")" >&2
  stop_server
  start_server stall-open "${STALL[@]}"
  sc "$RESULTS/b/stall/open" 12 --rate 100 --max-in-flight 1000 --duration 12s
  echo "(b) stalls, open 100/s: $(brief "$RESULTS/b/stall/open")" >&2
  stop_server
fi

echo "measured in $(($(date +%s) - began)) s; busy at the end (other processes): $(busy_pct)%; loadavg $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$RESULTS/machine.txt" >&2

# --- table -------------------------------------------------------------------------------
python3 - "$RESULTS" "$CONNS" "$ROUNDS" "$MEM_ROUNDS" "$(getconf CLK_TCK)" "$PARTS" <<'PY' | tee "$RESULTS/summary.txt"
import json, re, statistics, sys
res, conns, rounds, mem_rounds, tck, parts = (sys.argv[1], sys.argv[2].split(), int(sys.argv[3]),
                                              int(sys.argv[4]), int(sys.argv[5]), sys.argv[6])
med = statistics.median

def load(d):
    return json.load(open(f"{d}/load.json"))

def cpu(d):  # user+sys seconds, max RSS (KB), wall seconds of the generator process
    u, s, m, w = [l for l in open(f"{d}/time.txt").read().split("\n") if l.strip()][-1].split()
    return float(u) + float(s), int(m), float(w)

def srv(d):  # server CPU seconds during the run
    return int(open(f"{d}/server_ticks.txt").read()) / tck

def wrk(d):
    t = open(f"{d}/wrk.txt").read()
    n = int(re.search(r"(\d+) requests in", t).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
    return n, rps, t

def ms(v):  # wrk's latency figures: 950.00us, 20.56ms, 1.02s
    m = re.match(r"([\d.]+)(us|ms|s)$", v)
    return float(m.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[m.group(2)]

def pct(p):
    return f'{p["p50"]:8.2f} {p["p90"]:8.2f} {p["p99"]:8.2f} {p["max"]:8.1f}'

def ramp(j):  # seconds of the measured phase before any user or transaction was running
    return next((s["second"] for s in j["timeline"] if s["users"] > 0), len(j["timeline"]))

print(open(f"{res}/machine.txt").read().rstrip())

if "a" in parts:
    print()
    print("(a) generator efficiency: GET /healthz, closed, C connections/users, "
          f"{rounds} alternating rounds, medians (per-round values after them)")
    print(f'{"C":>3} {"generator":<11} {"req/s":>9} {"rounds":<28} {"gen CPU":>8} {"gen us/req":>10} {"server us/req":>13}')
    for c in conns:
        rows = {"smartcheck": [], "wrk": []}
        for r in range(1, rounds + 1):
            d = f"{res}/a/c{c}/r{r}"
            j = load(f"{d}/smartcheck")
            assert j["total"]["failures"] == 0, f"{d}: failures"
            cs, _, w = cpu(f"{d}/smartcheck")
            n = j["total"]["requests"]
            rows["smartcheck"].append((j["total"]["rps"], cs / w, cs / n * 1e6, srv(f"{d}/smartcheck") / n * 1e6))
            n, rps, _ = wrk(f"{d}/wrk")
            cw, _, w = cpu(f"{d}/wrk")
            rows["wrk"].append((rps, cw / w, cw / n * 1e6, srv(f"{d}/wrk") / n * 1e6))
        for g, v in rows.items():
            print(f'{c:>3} {g:<11} {med(x[0] for x in v):>9,.0f} {" / ".join(f"{x[0]:,.0f}" for x in v):<28} '
                  f'{med(x[1] for x in v):>7.0%} {med(x[2] for x in v):>10.1f} {med(x[3] for x in v):>13.1f}')
        ratios = [a[0] / b[0] for a, b in zip(rows["smartcheck"], rows["wrk"])]
        print(f'{c:>3} ratio smartcheck/wrk {med(x[0] for x in rows["smartcheck"]) / med(x[0] for x in rows["wrk"]):.2f}x '
              f'(rounds {" / ".join(f"{x:.2f}" for x in ratios)}; goal >= 0.8x); CPU per request '
              f'{med(x[2] for x in rows["smartcheck"]) / med(x[2] for x in rows["wrk"]):.1f}x wrk\'s')
    print("    gen CPU: the generator's user+sys CPU / wall time (100% = one core); us/req: CPU microseconds per request")

if "b" in parts:
    print()
    print("(b) accuracy, latency in ms (raw: from the send; corrected: from the intended send time)")
    print(f'{"run":<40} {"requests":>8} {"p50":>8} {"p90":>8} {"p99":>8} {"max":>8}')
    n, _, text = wrk(f"{res}/b/delay20/wrk")
    lat = {m.group(1): ms(m.group(2)) for m in re.finditer(r"^\s+(50|90|99)%\s+(\S+)", text, re.M)}
    p50 = {}
    for name, label in [("closed", "20 ms delay, closed 4 users"), ("open", "20 ms delay, open 50/s")]:
        t = load(f"{res}/b/delay20/{name}")["total"]
        print(f'{label + ", raw":<40} {t["requests"]:>8} {pct(t["raw"])}')
        p50[f"{name} raw"] = t["raw"]["p50"]
        if t.get("corrected"):
            print(f'{label + ", corrected":<40} {t["requests"]:>8} {pct(t["corrected"])}')
            p50[f"{name} corrected"] = t["corrected"]["p50"]
    print(f'{"20 ms delay, wrk -c4 --latency":<40} {n:>8} {lat["50"]:8.2f} {lat["90"]:8.2f} {lat["99"]:8.2f}')
    print("    p50 vs 20 ms (goal within 5%): " + ", ".join(f"{k} {(v - 20) / 20:+.1%}" for k, v in p50.items())
          + f', wrk {(lat["50"] - 20) / 20:+.1%}')
    print("    p50 vs wrk's p50 of the same server: " + ", ".join(f"{k} {(v - lat['50']) / lat['50']:+.1%}" for k, v in p50.items()))
    for name, label in [("closed", "stalls, closed 4 users"), ("open", "stalls, open 100/s")]:
        j = load(f"{res}/b/stall/{name}")
        t = j["total"]
        slow = [s["second"] for s in j["timeline"] if s["raw"]["max"] > 500]
        print(f'{label + ", raw":<40} {t["requests"]:>8} {pct(t["raw"])}   seconds with a >500 ms request: {slow}')
        if t.get("corrected"):
            print(f'{label + ", corrected":<40} {t["requests"]:>8} {pct(t["corrected"])}   dropped: {j["dropped"]}')
    print("    server: 5 ms per request, and a 1 s stall every 5 s (a request arriving in one waits for its end)")

if "c" in parts:
    print()
    print("(c) memory: peak RSS of the smartcheck process, MB")
    u1 = [cpu(f"{res}/c/u1/r{r}")[1] / 1024 for r in range(1, mem_rounds + 1)]
    u1000 = [cpu(f"{res}/c/u1000/r{r}")[1] / 1024 for r in range(1, mem_rounds + 1)]
    base = med(u1)
    print(f'1 user {base:.1f} ({" / ".join(f"{x:.1f}" for x in u1)}); 1000 users {med(u1000):.1f} '
          f'({" / ".join(f"{x:.1f}" for x in u1000)}): {med(u1000) - base:.1f} MB per 1,000 users (goal <= 50 MB)')
    j = load(f"{res}/c/u1000/r1")
    print(f'    1000 users: {j["total"]["rps"]:,.0f} req/s over elapsed_secs {j["elapsed_secs"]:.1f} for an 8 s run; '
          f'no user running in the first {ramp(j)} s of the measured phase')
    o, oj = cpu(f"{res}/c/open-inflight1000")[1] / 1024, load(f"{res}/c/open-inflight1000")
    k, kj = cpu(f"{res}/c/closed-slow1000"), load(f"{res}/c/closed-slow1000")
    print(f'server answering after 1 s: open model, {max(s["users"] for s in oj["timeline"])} in flight on one HTTP client: '
          f'{o:.1f} (+{o - base:.1f}); 1000 goose users (shared client), {kj["total"]["rps"]:.0f} req/s: '
          f'{k[1] / 1024:.1f} (+{k[1] / 1024 - base:.1f})')
    print(f'    -> a goose user costs about {(k[1] / 1024 - o) * 1024 / 1000:.0f} KB beyond its connection and task; '
          f'that run used {k[0]:.1f} CPU s for {kj["total"]["requests"]} requests and no user ran in its first {ramp(kj)} s')
PY
