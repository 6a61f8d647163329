#!/usr/bin/env bash
# Benchmark gate's HTTP gates against curl and hurl, side by side.
#
#   1,000 GET requests to a local nginx on 127.0.0.1, at concurrency 32:
#     curl   curl --parallel --parallel-max 32 --fail -K urls.cfg
#     hurl   hurl --test --jobs 32 over 1,000 .hurl files (one request each)
#     gate   gate run -j 32 -q over 1,000 gates `http = { url = ... }`
#     oha    oha -n 1000 -c 32 on one URL (a load generator, for reference)
#   hyperfine median of each, ratio to curl, PASS/FAIL for gate's targets.
#
# Usage: bash bench/http.sh
#
# Environment:
#   GATE=target/release/gate   gate binary, relative to the repo root (skipped if
#                              absent or without HTTP gates)
#   RUNS=10 WARMUP=2           hyperfine runs
#   HURL=..., CURL=..., NGINX=..., OHA=...   override where the tools are found
#   BENCH_STRICT=1             exit 1 when gate misses a target
#
# Never touches the network beyond 127.0.0.1: install the tools first with
# bench/setup.sh. The server is an nginx started here, on a free port, with
# its config, pid file and error log in a temporary directory; it is stopped
# when the script exits.
set -euo pipefail

# shellcheck source=bench/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
TOOLS=$ROOT/bench/.tools

GATE=${GATE:-target/release/gate}
RUNS=${RUNS:-10}
WARMUP=${WARMUP:-2}

HOST=127.0.0.1   # the only address this script ever sends requests to
N_REQ=1000
J=32

# Targets for gate.
TARGET_CURL_RATIO=1.5   # gate median <= 1.5 x curl median
                        # and gate median < hurl median

WORK=$(mktemp -d "${TMPDIR:-/tmp}/gate-bench-http.XXXXXX")
NGINX_PID=""
cleanup() {
    if [[ -n $NGINX_PID ]]; then
        kill -QUIT "$NGINX_PID" 2>/dev/null || true
        wait "$NGINX_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
RESULTS=$WORK/results.tsv   # tool, median_s, min_s, max_s, other_cores, server_cpu_s, note
: >"$RESULTS"

# ---------------------------------------------------------------- helpers


record() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RESULTS"; }


# Median, min and max (seconds) of a hyperfine JSON export, and how many cores
# other processes kept busy meanwhile: machine CPU time over the benchmark
# minus the benchmarked command's own user + system time and the server's,
# per wall second.
hf_stats() { # json runs+warmup cpu-delta server-cpu-delta wall
    python3 - "$@" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
n, cpu, server, wall = int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
own = n * (r["user"] + r["system"])
other = max(0.0, (cpu - own - server) / wall) if wall > 0 else 0.0
print(f'{r["median"]:.6f} {r["min"]:.6f} {r["max"]:.6f} {other:.2f} {server / n:.4f}')
PY
}

# time_cmd TOOL CMD... : hyperfine median; prints one line and records it.
time_cmd() {
    local tool=$1
    shift
    local json=$WORK/$tool.json median min max other server note="" c0 c1 s0 s1 w0 w1
    c0=$(cpu_busy_s) s0=$(server_cpu_s) w0=$EPOCHREALTIME
    if ! hyperfine -N --style none --warmup "$WARMUP" --runs "$RUNS" \
        --export-json "$json" -n "$tool" "$(cmdline "$@")" >/dev/null 2>"$WORK/hf.err"; then
        say "  $tool: FAILED ($(tail -n 3 "$WORK/hf.err" | tr '\n' ' '))"
        record "$tool" failed "" "" "" "" "command failed"
        return 0
    fi
    c1=$(cpu_busy_s) s1=$(server_cpu_s) w1=$EPOCHREALTIME
    read -r median min max other server < <(hf_stats "$json" $((RUNS + WARMUP)) \
        "$(awk -v a="$c0" -v b="$c1" 'BEGIN {print b - a}')" \
        "$(awk -v a="$s0" -v b="$s1" 'BEGIN {print b - a}')" \
        "$(awk -v a="$w0" -v b="$w1" 'BEGIN {print b - a}')")
    if awk -v o="$other" 'BEGIN {exit !(o > 0.25)}'; then note="noisy: other load ${other} cores"; fi
    printf '  %-6s median %7.4f s  (min %.4f, max %.4f)  nginx CPU %.3f s a run  other load %.2f cores\n' \
        "$tool" "$median" "$min" "$max" "$server" "$other"
    record "$tool" "$median" "$min" "$max" "$other" "$server" "$note"
}

# ------------------------------------------------------------ tool lookup

find_tools() {
    local missing=0
    need_hyperfine
    NGINX=${NGINX:-$(command -v nginx || true)}
    [[ -n $NGINX ]] || { [[ -x /usr/sbin/nginx ]] && NGINX=/usr/sbin/nginx; }
    if [[ -z $NGINX || ! -x $NGINX ]]; then
        say "nginx not found (the server): run 'bash bench/setup.sh' (or: apt-get install nginx)"
        missing=1
    fi
    CURL=${CURL:-$(command -v curl || true)}
    if [[ -z $CURL || ! -x $CURL ]]; then
        say "curl not found (the baseline, also used to wait for the server): run 'bash bench/setup.sh' (or: apt-get install curl)"
        missing=1
    fi
    ((missing == 0)) || exit 1

    if [[ -z ${HURL:-} ]]; then
        HURL=$TOOLS/hurl/bin/hurl
        [[ -x $HURL ]] || HURL=$(command -v hurl || true)
    fi
    [[ -n $HURL && -x $HURL ]] || {
        say "hurl not found: skipping it (install: bash bench/setup.sh, which builds hurl 8.0.1 into bench/.tools/hurl)"
        HURL=""
    }
    if [[ -z ${OHA:-} ]]; then
        OHA=$TOOLS/oha/bin/oha
        [[ -x $OHA ]] || OHA=$(command -v oha || true)
    fi
    [[ -n $OHA && -x $OHA ]] || {
        say "oha not found: skipping it (install: bash bench/setup.sh, which builds oha into bench/.tools/oha)"
        OHA=""
    }

    find_gate
}

# gate takes part only once it accepts an HTTP gate: `gate check` on a
# one-gate config must exit 0.
check_gate_http() {
    [[ -n $GATE ]] || return 0
    local dir=$WORK/gate-probe
    mkdir -p "$dir"
    printf '[gates.g1]\nhttp = { url = "http://%s:%s/g1" }\n' "$HOST" "$PORT" >"$dir/gates.toml"
    if ! "$GATE" check -c "$dir/gates.toml" >"$dir/out" 2>&1; then
        say "gate does not support HTTP gates yet ('gate check' on a one-gate http config failed: $(head -n 1 "$dir/out")): skipping gate"
        GATE=""
    fi
}


print_versions() {
    say "machine: $(nproc) cores, $(uname -sm); $(date -u +%Y-%m-%dT%H:%MZ)"
    say "hyperfine: $(hyperfine --version)"
    say "nginx: $("$NGINX" -v 2>&1 | sed 's/^nginx version: //') ($NGINX)"
    say "curl: $("$CURL" --version | head -n 1 | cut -d' ' -f1-3) ($CURL)"
    [[ -z $HURL ]] || say "hurl: $("$HURL" --version | head -n 1 | cut -d' ' -f1-2) ($HURL)"
    [[ -z $OHA ]] || say "oha: $("$OHA" --version) ($OHA)"
    [[ -z $GATE ]] || say "gate: $("$GATE" --version 2>&1 | head -n 1) ($GATE)"
}

# ------------------------------------------------------------------ server

# ------------------------------------------------------- input generators
# The same N_REQ URLs, http://127.0.0.1:PORT/g1 .. /gN, in each tool's format.

url() { printf 'http://%s:%s/g%d' "$HOST" "$PORT" "$1"; }

gen_curl() { # dir: a curl config, each URL with its own output
    local i
    for ((i = 1; i <= N_REQ; i++)); do
        printf 'url = "%s"\noutput = "/dev/null"\n' "$(url "$i")"
    done >"$1/urls.cfg"
}

gen_hurl() { # dir: one .hurl file per URL (hurl --jobs runs files in parallel)
    local i
    mkdir -p "$1/hurl"
    for ((i = 1; i <= N_REQ; i++)); do
        printf 'GET %s\nHTTP 200\n' "$(url "$i")" >"$1/hurl/g$i.hurl"
    done
}

gen_gates() { # dir: one gate per URL
    local i
    for ((i = 1; i <= N_REQ; i++)); do
        printf '[gates.g%d]\nhttp = { url = "%s" }\n\n' "$i" "$(url "$i")"
    done >"$1/gates.toml"
}

# ----------------------------------------------------------- sanity checks
# One untimed run of each tool: it must exit 0, and curl must see N_REQ x 200.

sanity_curl() {
    local codes
    if ! codes=$("$CURL" --parallel --parallel-max "$J" --fail -sS -w '%{http_code}\n' -K urls.cfg 2>"$WORK/curl.err"); then
        say "  curl: sanity run failed: $(head -n 3 "$WORK/curl.err" | tr '\n' ' ')"
        return 1
    fi
    local ok
    ok=$(grep -c '^200$' <<<"$codes" || true)
    if ((ok != N_REQ)); then
        say "  curl: sanity run got $ok x 200 of $N_REQ"
        return 1
    fi
    say "  curl: $ok x 200 of $N_REQ"
}

sanity_run() { # tool cmd...
    local tool=$1
    shift
    if ! "$@" >"$WORK/$tool.out" 2>"$WORK/$tool.err"; then
        say "  $tool: sanity run failed: $(tail -n 3 "$WORK/$tool.err" "$WORK/$tool.out" | grep -v '^==' | tr '\n' ' ')"
        return 1
    fi
    say "  $tool: exit 0"
}

# --------------------------------------------------------------- benchmark

CURL_CMD=() HURL_CMD=() GATE_CMD=() OHA_CMD=()

benchmark() {
    local dir=$WORK/inputs
    mkdir -p "$dir"
    gen_curl "$dir"
    [[ -z $HURL ]] || gen_hurl "$dir"
    [[ -z $GATE ]] || gen_gates "$dir"
    cd "$dir"

    CURL_CMD=("$CURL" --parallel --parallel-max "$J" --fail -sS -K urls.cfg)
    [[ -z $HURL ]] || HURL_CMD=("$HURL" --test --jobs "$J" --no-color hurl)
    [[ -z $GATE ]] || GATE_CMD=("$GATE" run -j "$J" -c gates.toml -q)
    # One runtime thread, as gate has; oha sends the same URL N_REQ times.
    [[ -z $OHA ]] || OHA_CMD=("$OHA" -n "$N_REQ" -c "$J" --worker-threads 1 --no-tui "$(url 1)")

    say ""
    say "sanity runs (untimed)"
    sanity_curl || { record curl failed "" "" "" "" "sanity run failed"; CURL_CMD=(); }
    if [[ -n $HURL ]]; then sanity_run hurl "${HURL_CMD[@]}" || { record hurl failed "" "" "" "" "sanity run failed"; HURL_CMD=(); }; fi
    if [[ -n $GATE ]]; then sanity_run gate "${GATE_CMD[@]}" || { record gate failed "" "" "" "" "sanity run failed"; GATE_CMD=(); }; fi
    if [[ -n $OHA ]]; then sanity_run oha "${OHA_CMD[@]}" || { record oha failed "" "" "" "" "sanity run failed"; OHA_CMD=(); }; fi

    say ""
    say "$N_REQ x GET http://$HOST:$PORT/gN at concurrency $J (hyperfine -N --warmup $WARMUP --runs $RUNS)"
    ((${#CURL_CMD[@]} == 0)) || time_cmd curl "${CURL_CMD[@]}"
    ((${#HURL_CMD[@]} == 0)) || time_cmd hurl "${HURL_CMD[@]}"
    ((${#GATE_CMD[@]} == 0)) || time_cmd gate "${GATE_CMD[@]}"
    ((${#OHA_CMD[@]} == 0)) || time_cmd oha "${OHA_CMD[@]}"
    cd "$ROOT"
}

# ------------------------------------------------------------------ report

summary() {
    say ""
    say "summary: $N_REQ GET requests at concurrency $J (medians)"
    python3 - "$RESULTS" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1]), delimiter="\t"))
res = {r[0]: r for r in rows}
curl = res.get("curl")
base = float(curl[1]) if curl and curl[1] not in ("", "failed") else None
print(f"{'tool':<6} {'median':>9} {'min':>9} {'max':>9} {'vs curl':>8} {'nginx CPU/run':>14}  note")
for t in ("curl", "hurl", "gate", "oha"):
    if t not in res:
        print(f"{t:<6} {'skipped':>9}")
        continue
    _, m, lo, hi, other, server, note = res[t]
    if m in ("", "failed"):
        print(f"{t:<6} {'failed':>9} {'':>9} {'':>9} {'':>8} {'':>14}  {note}")
        continue
    m, lo, hi, server = float(m), float(lo), float(hi), float(server)
    rel = f"{m / base:.2f}x" if base else ""
    print(f"{t:<6} {m:>8.3f}s {lo:>8.3f}s {hi:>8.3f}s {rel:>8} {server:>13.3f}s  {note}")
PY
}

# Prints PASS/FAIL per target for gate; returns 1 if one was missed.
check_targets() {
    if ! grep -q '^gate	' "$RESULTS"; then
        say ""
        say "gate not measured: no targets checked"
        return 0
    fi
    say ""
    say "gate targets"
    python3 - "$RESULTS" "$TARGET_CURL_RATIO" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1]), delimiter="\t"))
ratio = float(sys.argv[2])
res = {r[0]: r for r in rows}
def med(t):
    r = res.get(t)
    return float(r[1]) if r and r[1] not in ("", "failed") else None
def note(t):
    return res[t][6] if t in res else ""
missed = 0
def check(name, ok, detail):
    global missed
    missed += not ok
    print(f"  {'PASS' if ok else 'FAIL'}  {name}: {detail}")
g, c, h = med("gate"), med("curl"), med("hurl")
name = f"within {ratio}x curl's wall time"
if g is not None and c is not None:
    check(name, g <= ratio * c, f"{g:.3f} s vs curl {c:.3f} s = {g / c:.2f}x {note('gate')}".strip())
else:
    check(name, False, "gate or curl did not run")
name = "faster than hurl"
if g is not None and h is not None:
    check(name, g < h, f"{g:.3f} s vs hurl {h:.3f} s = {g / h:.2f}x {note('gate')}".strip())
elif g is None:
    check(name, False, "gate did not run")
else:
    print(f"  SKIP  {name}: hurl not measured")
sys.exit(1 if missed else 0)
PY
}

# -------------------------------------------------------------------- main

main() {
    (($# == 0)) || { say "usage: bash bench/http.sh (no arguments; see the environment variables at the top)"; exit 2; }
    find_tools
    start_server
    check_gate_http
    print_versions
    check_idle
    benchmark
    summary
    if ! check_targets && [[ ${BENCH_STRICT:-0} == 1 ]]; then
        exit 1
    fi
}

main "$@"
