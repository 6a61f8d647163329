#!/usr/bin/env bash
# Benchmark gate's `load` gates against oha, side by side, on the same server.
#
#   2,000 GET requests at concurrency 16, on one runtime thread each:
#     oha    oha -n 2000 -c 16 --worker-threads 1 --no-tui
#     gate   gate run -q over one gate: http = { url, load = { requests = 2000,
#            concurrency = 16 } } (gate runs all its I/O on one thread)
#   Two servers: nginx answering at once (what the client costs), and a Node.js
#   server answering after DELAY_MS (what the client measures).
#   hyperfine median of the wall times, median p95 over P95_RUNS runs, and
#   PASS/FAIL for gate's targets: wall time within 1.5x oha's, p95 within 20%.
#
# Usage: bash bench/load.sh
#
# Environment:
#   GATE=target/release/gate   gate binary, relative to the repo root
#   RUNS=10 WARMUP=2           hyperfine runs
#   P95_RUNS=5                 runs whose p95 figures are compared
#   DELAY_MS=5                 the delayed server's answer time
#   OHA=..., NGINX=..., NODE=...   override where the tools are found
#                              (oha: bench/.tools/oha/bin/oha, else PATH)
#   BENCH_STRICT=1             exit 1 when gate misses a target
#
# Sends requests only to 127.0.0.1; install oha and nginx first (bash
# bench/setup.sh). Without node it measures the nginx server only.
set -euo pipefail

# shellcheck source=bench/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

GATE=${GATE:-target/release/gate}
RUNS=${RUNS:-10}
WARMUP=${WARMUP:-2}
P95_RUNS=${P95_RUNS:-5}
DELAY_MS=${DELAY_MS:-5}

HOST=127.0.0.1
N_REQ=2000
C=16
TARGET_WALL_RATIO=1.5
TARGET_P95_DIFF=0.20

WORK=$(mktemp -d "${TMPDIR:-/tmp}/gate-bench-load.XXXXXX")
NGINX_PID="" NODE_PID=""
cleanup() {
    [[ -z $NGINX_PID ]] || { kill -QUIT "$NGINX_PID" 2>/dev/null || true; wait "$NGINX_PID" 2>/dev/null || true; }
    [[ -z $NODE_PID ]] || { kill "$NODE_PID" 2>/dev/null || true; wait "$NODE_PID" 2>/dev/null || true; }
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
RESULTS=$WORK/results.tsv   # server, tool, wall median s, p95 median ms
: >"$RESULTS"

find_tools() {
    local missing=0 tool
    for tool in hyperfine python3 curl; do
        command -v "$tool" >/dev/null 2>&1 || { say "$tool not found"; missing=1; }
    done
    OHA=${OHA:-$ROOT/bench/.tools/oha/bin/oha}
    [[ -x $OHA ]] || OHA=$(command -v oha || true)
    [[ -n $OHA ]] || { say "oha not found: bash bench/setup.sh"; missing=1; }
    NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
    [[ -x $NGINX ]] || { say "nginx not found: apt-get install nginx"; missing=1; }
    CURL=$(command -v curl || true)
    ((missing == 0)) || exit 1
    NODE=${NODE:-$(command -v node || true)}
    [[ -n $NODE ]] || say "node not found: measuring the nginx server only"
    find_gate
    [[ -n $GATE ]] || exit 1
}

# A Node.js server on a free port that answers every request after DELAY_MS.
start_delayed() {
    local i
    DELAYED_PORT=$(free_port)
    "$NODE" -e '
const [port, delay] = process.argv.slice(1).map(Number);
require("http").createServer((q, s) => setTimeout(() => s.end("ok\n"), delay))
  .listen(port, "127.0.0.1");' "$DELAYED_PORT" "$DELAY_MS" &
    NODE_PID=$!
    for ((i = 0; i < 50; i++)); do
        "$CURL" -sf -o /dev/null --max-time 1 "http://$HOST:$DELAYED_PORT/" && return 0
        sleep 0.1
    done
    say "node server would not start"
    exit 1
}

write_gates() { # url file
    printf '[gates.load]\nhttp = { url = "%s", load = { requests = %d, concurrency = %d } }\n' \
        "$1" "$N_REQ" "$C" >"$2"
}

# Median of hyperfine's runs, in seconds.
hf_median() {
    python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["results"][0]["median"])' "$1"
}

OHA_ARGS=(-n "$N_REQ" -c "$C" --worker-threads 1 --no-tui)

# The p95 (ms) a run reports: oha's JSON, or gate's output line.
oha_p95() {
    "$OHA" "${OHA_ARGS[@]}" --output-format json "$1" |
        python3 -c 'import json, sys; print(1000 * json.load(sys.stdin)["latencyPercentiles"]["p95"])'
}
gate_p95() {
    "$GATE" run -c "$1" --format json | python3 -c '
import json, re, sys
out = json.load(sys.stdin)["gates"][0]["output"]
print(re.search(r"p95 ([0-9.]+)ms", out).group(1))'
}

median_of() { python3 -c 'import statistics, sys; print(statistics.median(map(float, sys.argv[1:])))' "$@"; }

measure() { # server-name url
    local name=$1 url=$2 gates=$WORK/$1.toml p95s i
    write_gates "$url" "$gates"
    say ""
    say "$name: $N_REQ x GET $url at concurrency $C"
    say "  oha: $("$OHA" "${OHA_ARGS[@]}" --output-format json "$url" | python3 -c '
import json, sys
d = json.load(sys.stdin)
p, s = d["latencyPercentiles"], d["summary"]
ms = lambda x: f"{1000 * x:.1f}ms"
print(f"success {s['"'"'successRate'"'"']:.1%}, p50 {ms(p['"'"'p50'"'"'])}, p90 {ms(p['"'"'p90'"'"'])}, p95 {ms(p['"'"'p95'"'"'])}, p99 {ms(p['"'"'p99'"'"'])}, max {ms(s['"'"'slowest'"'"'])}, mean {ms(s['"'"'average'"'"'])}")')"
    say "  gate: $("$GATE" run -c "$gates" --format json | python3 -c 'import json, sys; print(json.load(sys.stdin)["gates"][0]["output"])')"
    hyperfine -N --style none --warmup "$WARMUP" --runs "$RUNS" --export-json "$WORK/$name-oha.json" \
        "$(cmdline "$OHA" "${OHA_ARGS[@]}" --output-format quiet "$url")" >/dev/null
    hyperfine -N --style none --warmup "$WARMUP" --runs "$RUNS" --export-json "$WORK/$name-gate.json" \
        "$(cmdline "$GATE" run -q -c "$gates")" >/dev/null
    p95s=()
    for ((i = 0; i < P95_RUNS; i++)); do p95s+=("$(oha_p95 "$url")"); done
    printf '%s\toha\t%s\t%s\n' "$name" "$(hf_median "$WORK/$name-oha.json")" "$(median_of "${p95s[@]}")" >>"$RESULTS"
    p95s=()
    for ((i = 0; i < P95_RUNS; i++)); do p95s+=("$(gate_p95 "$gates")"); done
    printf '%s\tgate\t%s\t%s\n' "$name" "$(hf_median "$WORK/$name-gate.json")" "$(median_of "${p95s[@]}")" >>"$RESULTS"
}

report() {
    say ""
    python3 - "$RESULTS" "$TARGET_WALL_RATIO" "$TARGET_P95_DIFF" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1]), delimiter="\t"))
ratio, diff = float(sys.argv[2]), float(sys.argv[3])
by = {(r[0], r[1]): (float(r[2]), float(r[3])) for r in rows}
missed = 0
print(f"{'server':<10} {'tool':<5} {'wall':>9} {'p95':>9}   gate vs oha")
for server in dict.fromkeys(r[0] for r in rows):
    (ww, wp), (gw, gp) = by[(server, "oha")], by[(server, "gate")]
    print(f"{server:<10} {'oha':<5} {ww:>8.3f}s {wp:>7.2f}ms")
    print(f"{server:<10} {'gate':<5} {gw:>8.3f}s {gp:>7.2f}ms   wall {gw / ww:.2f}x, p95 {gp / wp:.2f}x")
    for name, ok in ((f"{server}: wall within {ratio}x oha's", gw <= ratio * ww),
                     (f"{server}: p95 within {diff:.0%} of oha's", abs(gp / wp - 1) <= diff)):
        missed += not ok
        print(f"  {'PASS' if ok else 'FAIL'}  {name}")
sys.exit(1 if missed else 0)
PY
}

main() {
    find_tools
    check_idle
    say "$("$OHA" --version); nginx: $("$NGINX" -v 2>&1 | sed 's/^nginx version: //'); $("$GATE" --version)"
    start_server
    measure nginx "http://$HOST:$PORT/ok"
    if [[ -n $NODE ]]; then
        start_delayed
        measure "node+${DELAY_MS}ms" "http://$HOST:$DELAYED_PORT/ok"
    fi
    local status=0
    report || status=$?
    if [[ ${BENCH_STRICT:-0} == 1 ]]; then exit "$status"; fi
}

main "$@"
