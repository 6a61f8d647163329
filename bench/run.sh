#!/usr/bin/env bash
# Benchmark gate against make, xargs, lefthook and go-task, side by side.
#
#   (a) 500 x `true` at concurrency 2          hyperfine median (+ peak RSS)
#   (b) 16 x `sleep 0.5` at concurrency 16      hyperfine median - 0.5 s
#   (c) one command printing 500 MB             peak RSS of the runner
#   (d) `--version`                             hyperfine median, many runs
#
# Usage: bash bench/run.sh [a|b|c|d ...]        (default: all scenarios)
#
# Environment:
#   GATE=target/release/gate   gate binary, relative to the repo root (skipped if absent)
#   RUNS=10 WARMUP=2           hyperfine runs for (a) and (b)
#   VERSION_RUNS=200           hyperfine runs for (d)
#   LEFTHOOK=..., TASK=...     override where the competitors are found
#   BENCH_STRICT=1             exit 1 when gate misses a target
#
# Never touches the network: install the tools first with bench/setup.sh.
set -euo pipefail

# shellcheck source=bench/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
TOOLS=$ROOT/bench/.tools

GATE=${GATE:-target/release/gate}
RUNS=${RUNS:-10}
WARMUP=${WARMUP:-2}
VERSION_RUNS=${VERSION_RUNS:-200}

N_TRUE=500
J_TRUE=2
N_SLEEP=16
SLEEP_S=0.5
OUT_BYTES=500000000
# 99 characters + newline = 100 bytes a line, so OUT_BYTES is 5,000,000 whole lines.
OUT_LINE=012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678
OUT_CMD="yes $OUT_LINE | head -c $OUT_BYTES"

# Targets for gate.
TARGET_TRUE_RATIO=1.0   # (a) gate median <= make median
TARGET_SLEEP_MS=17      # (b) gate ends at most 17 ms after the ideal
TARGET_RSS_KIB=10240    # (c) gate peak RSS under 10 MiB
TARGET_VERSION_MS=2     # (d) gate --version under 2 ms

# lefthook: print nothing (its report would otherwise be part of the measurement).
export LEFTHOOK_OUTPUT=false

WORK=$(mktemp -d "${TMPDIR:-/tmp}/gate-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
RESULTS=$WORK/results.tsv   # scenario, tool, median_s, peak_kib, note
: >"$RESULTS"

# ---------------------------------------------------------------- helpers


record() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RESULTS"; }


# Peak RSS (KiB) of a command and its waited-for children, from GNU time.
peak_rss_kib() {
    local out=$WORK/time.txt
    /usr/bin/time -v -o "$out" "$@" >/dev/null 2>&1 || true
    awk -F': ' '/Maximum resident set size/ {print $2}' "$out"
}

# time_cmd SCENARIO RUNS WARMUP TOOL CMD... : hyperfine median + one peak RSS run.
# Runs in the current directory; prints one line and records the result.
time_cmd() {
    local scenario=$1 runs=$2 warmup=$3 tool=$4 rss
    shift 4
    if ! hf_run "$WORK/$scenario-$tool.json" "$runs" "$warmup" "$tool" "$@"; then
        record "$scenario" "$tool" failed "" "command failed"
        return 0
    fi
    rss=$(peak_rss_kib "$@")
    printf '  %-13s median %8.4f s  (min %.4f, max %.4f)  peak RSS %6s KiB  other load %.2f cores\n' \
        "$tool" "$HF_MEDIAN" "$HF_MIN" "$HF_MAX" "$rss" "$HF_OTHER"
    record "$scenario" "$tool" "$HF_MEDIAN" "$rss" "$HF_NOTE"
}

# ------------------------------------------------------------ tool lookup

find_tools() {
    need_hyperfine
    if [[ ! -x /usr/bin/time ]]; then
        say "/usr/bin/time not found: run 'bash bench/setup.sh' (or: apt-get install time)"
        exit 1
    fi

    find_make
    XARGS=$(command -v xargs || true)
    [[ -n $XARGS ]] || say "xargs not found (apt-get install findutils): skipping xargs"

    # lefthook: the native binary the npm package ships (not the node wrapper,
    # whose start-up would be measured too).
    if [[ -z ${LEFTHOOK:-} ]]; then
        LEFTHOOK=$(compgen -G "$TOOLS/node_modules/lefthook-*/bin/lefthook" | head -n 1 || true)
        [[ -n $LEFTHOOK ]] || LEFTHOOK=$(command -v lefthook || true)
    fi
    [[ -n $LEFTHOOK && -x $LEFTHOOK ]] || {
        say "lefthook not found: skipping it (install: npm install --prefix bench/.tools lefthook)"
        LEFTHOOK=""
    }

    if [[ -z ${TASK:-} ]]; then
        TASK=$TOOLS/venv/bin/task
        [[ -x $TASK ]] || TASK=$(command -v go-task || command -v task || true)
    fi
    [[ -n $TASK && -x $TASK ]] || {
        say "go-task not found: skipping it (install: python3 -m venv bench/.tools/venv && bench/.tools/venv/bin/pip install go-task-bin)"
        TASK=""
    }

    find_gate
}


print_versions() {
    say_machine
    [[ -z $MAKE ]] || say "make: $($MAKE --version | head -n 1)"
    [[ -z $XARGS ]] || say "xargs: $($XARGS --version | head -n 1)"
    [[ -z $LEFTHOOK ]] || say "lefthook: $($LEFTHOOK version) ($LEFTHOOK)"
    [[ -z $TASK ]] || say "go-task: $($TASK --version) ($TASK)"
    [[ -z $GATE ]] || say "gate: $($GATE --version 2>&1 | head -n 1) ($GATE)"
}

# ------------------------------------------------------- input generators
# Each writes the same N commands in one tool's format into directory $1.

gen_makefile() { # dir count command
    local i targets=""
    for ((i = 1; i <= $2; i++)); do targets+=" t$i"; done
    {
        printf '.PHONY: all%s\nall:%s\n' "$targets" "$targets"
        for ((i = 1; i <= $2; i++)); do printf 't%d:\n\t@%s\n' "$i" "$3"; done
    } >"$1/Makefile"
}

gen_lines() { # dir count command
    local i
    for ((i = 1; i <= $2; i++)); do printf '%s\n' "$3"; done >"$1/commands.txt"
}

# lefthook starts every command of a `parallel: true` hook at once: it has no
# setting to cap its concurrency, so it runs unbounded in every scenario.
gen_lefthook() { # dir count command
    local i
    {
        printf 'bench:\n  parallel: true\n  commands:\n'
        for ((i = 1; i <= $2; i++)); do printf '    c%d:\n      run: %s\n' "$i" "$(yaml_str "$3")"; done
    } >"$1/lefthook.yml"
    git -C "$1" init -q   # lefthook only runs inside a git repository
}

gen_taskfile() { # dir count command
    local i deps=""
    for ((i = 1; i <= $2; i++)); do deps+="t$i, "; done
    {
        printf "version: '3'\nsilent: true\ntasks:\n  default:\n    deps: [%s]\n" "${deps%, }"
        for ((i = 1; i <= $2; i++)); do printf '  t%d:\n    cmds: [%s]\n' "$i" "$(yaml_str "$3")"; done
    } >"$1/Taskfile.yml"
}

gen_gates() { # dir count command
    local i
    for ((i = 1; i <= $2; i++)); do printf '[gates.g%d]\nrun = %s\n\n' "$i" "$(toml_str "$3")"; done >"$1/gates.toml"
}

toml_str() {
    local s=${1//\\/\\\\}
    printf '"%s"' "${s//\"/\\\"}"
}

yaml_str() { printf "'%s'" "${1//\'/\'\'}"; }

gen_all() { # dir count command
    mkdir -p "$1"
    gen_makefile "$@"
    gen_lines "$@"
    gen_lefthook "$@"
    gen_taskfile "$@"
    gen_gates "$@"
}

# The command each tool runs, in the directory of the generated inputs, at
# concurrency $J. make -j, xargs -P, go-task --concurrency and gate -j cap it;
# lefthook cannot (see gen_lefthook). What each spawns per command: make execs
# the program directly, xargs, lefthook and gate run `sh -c CMD`, go-task runs
# CMD in its built-in shell interpreter (`true` is a builtin there: no process).
run_make() { [[ -z $MAKE ]] || time_cmd "$@" make "$MAKE" -s -f Makefile -j "$J"; }
run_xargs() { [[ -z $XARGS ]] || time_cmd "$@" xargs "$XARGS" -a commands.txt -P "$J" -I '{}' sh -c '{}'; }
run_lefthook() { [[ -z $LEFTHOOK ]] || time_cmd "$@" lefthook "$LEFTHOOK" run bench --no-auto-install; }
run_task() { [[ -z $TASK ]] || time_cmd "$@" go-task "$TASK" --offline -d . --concurrency "$J" default; }
run_gate() { [[ -z $GATE ]] || time_cmd "$@" gate "$GATE" run -c gates.toml -j "$J"; }

run_all_tools() { # scenario runs warmup
    run_make "$@"
    run_xargs "$@"
    run_lefthook "$@"
    run_task "$@"
    run_gate "$@"
}

# --------------------------------------------------------------- scenarios

scenario_true() {
    say ""
    say "(a) $N_TRUE x true at concurrency $J_TRUE (hyperfine --warmup $WARMUP --runs $RUNS)"
    local dir=$WORK/true
    gen_all "$dir" "$N_TRUE" true
    (cd "$dir" && J=$J_TRUE && run_all_tools true "$RUNS" "$WARMUP")
}

scenario_sleep() {
    say ""
    say "(b) $N_SLEEP x sleep $SLEEP_S at concurrency $N_SLEEP (hyperfine --warmup $WARMUP --runs $RUNS)"
    local dir=$WORK/sleep
    gen_all "$dir" "$N_SLEEP" "sleep $SLEEP_S"
    (cd "$dir" && J=$N_SLEEP && run_all_tools sleep "$RUNS" "$WARMUP")
}

# (c): one run each under /usr/bin/time -v; the runner's stdout goes to
# /dev/null (gate's JSON report to a file, to check the output tail).
# Sets OUT_RSS (KiB) and OUT_WALL (s); returns 1 if the command failed.
output_run() { # tool stdout-file cmd...
    local tool=$1 stdout=$2 t0 t1
    shift 2
    t0=$EPOCHREALTIME
    if ! /usr/bin/time -v -o "$WORK/time-output-$tool.txt" "$@" >"$stdout" 2>"$WORK/output-$tool.err"; then
        say "  $tool: FAILED ($(grep -v '^\s' "$WORK/output-$tool.err" | tail -n 2 | tr '\n' ' '))"
        record output "$tool" failed "" "command failed"
        return 1
    fi
    t1=$EPOCHREALTIME
    OUT_RSS=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time-output-$tool.txt")
    OUT_WALL=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')
    printf '  %-13s peak RSS %9s KiB  (%6.1f MiB)  wall %s s\n' \
        "$tool" "$OUT_RSS" "$(awk -v k="$OUT_RSS" 'BEGIN {print k / 1024}')" "$OUT_WALL"
}

output_competitor() { # tool cmd...
    local tool=$1
    shift
    output_run "$tool" /dev/null "$@" || return 0
    record output "$tool" "$OUT_WALL" "$OUT_RSS" ""
}

# gate must keep the tail of the output: its JSON report's `output` has to
# end with the last line printed.
output_gate() {
    local report=$WORK/output/report.json note=""
    output_run gate "$report" "$GATE" run -c gates.toml --format json || return 0
    python3 - "$report" "$OUT_LINE" <<'PY' || note="output tail missing"
import json, sys
try:
    out = json.load(open(sys.argv[1]))["gates"][0].get("output") or ""
except Exception as e:
    print(f"  gate          JSON report unreadable: {e}")
    sys.exit(1)
lines = out.rstrip("\n").split("\n")
ok = lines[-1] == sys.argv[2]
print(f"  gate          JSON output: {len(lines)} line(s) kept, last line {'is' if ok else 'is NOT'} the last line printed")
sys.exit(0 if ok else 1)
PY
    record output gate "$OUT_WALL" "$OUT_RSS" "$note"
}

scenario_output() {
    say ""
    say "(c) one command printing $OUT_BYTES bytes ($((OUT_BYTES / 100)) lines): peak RSS (/usr/bin/time -v, one run)"
    local dir=$WORK/output
    gen_all "$dir" 1 "$OUT_CMD"
    (
        cd "$dir"
        [[ -z $MAKE ]] || output_competitor make "$MAKE" -s -f Makefile
        [[ -z $LEFTHOOK ]] || output_competitor lefthook "$LEFTHOOK" run bench --no-auto-install
        [[ -z $TASK ]] || output_competitor go-task "$TASK" --offline -d . default
        # go-task's `group` output mode buffers each task's output, as gate and
        # lefthook do to report per command; the default mode passes it through.
        [[ -z $TASK ]] || output_competitor go-task-group "$TASK" --offline -d . --output group default
        [[ -z $GATE ]] || output_gate
    )
}

scenario_version() {
    say ""
    say "(d) --version (hyperfine -N --warmup 20 --runs $VERSION_RUNS)"
    [[ -z $MAKE ]] || time_cmd version "$VERSION_RUNS" 20 make "$MAKE" --version
    [[ -z $LEFTHOOK ]] || time_cmd version "$VERSION_RUNS" 20 lefthook "$LEFTHOOK" version
    [[ -z $TASK ]] || time_cmd version "$VERSION_RUNS" 20 go-task "$TASK" --version
    [[ -z $GATE ]] || time_cmd version "$VERSION_RUNS" 20 gate "$GATE" --version
}

# ----------------------------------------------------------------- summary

summary() {
    say ""
    say "summary (medians; RSS = peak resident set of the runner and its children)"
    python3 - "$RESULTS" "$SLEEP_S" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1]), delimiter="\t"))
ideal = float(sys.argv[2])
titles = {
    "true": "(a) 500 x true, -j2",
    "sleep": "(b) 16 x sleep 0.5, -j16",
    "output": "(c) 500 MB of output",
    "version": "(d) --version",
}
def mib(k): return f"{int(k) / 1024:.1f} MiB" if k else "-"
make = {s: float(m) for s, t, m, _, _ in rows if t == "make" and m != "failed"}
print(f"{'scenario':<26} {'tool':<13} {'median':>10} {'vs make / ideal':>16} {'peak RSS':>11}  note")
for s, t, m, k, note in rows:
    if m == "failed":
        print(f"{titles[s]:<26} {t:<13} {'failed':>10} {'':>16} {'-':>11}  {note}")
        continue
    m = float(m)
    if s == "sleep":
        rel = f"+{(m - ideal) * 1000:.0f} ms"
    elif s in make and t != "make":
        rel = f"{m / make[s]:.2f}x"
    else:
        rel = ""
    if s == "version":
        med = f"{m * 1000:.2f} ms"
    elif s == "output":
        med = f"{m:.2f} s wall"
    else:
        med = f"{m:.3f} s"
    print(f"{titles[s]:<26} {t:<13} {med:>10} {rel:>16} {mib(k):>11}  {note}")
PY
}

# Prints PASS/FAIL per target for gate; returns 1 if one was missed.
check_targets() {
    [[ -n $GATE ]] || { say ""; say "gate not measured: no targets checked"; return 0; }
    say ""
    say "gate targets"
    python3 - "$RESULTS" "$SLEEP_S" "$TARGET_TRUE_RATIO" "$TARGET_SLEEP_MS" "$TARGET_RSS_KIB" "$TARGET_VERSION_MS" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1]), delimiter="\t"))
ideal, ratio, sleep_ms, rss_kib, version_ms = map(float, sys.argv[2:])
res = {(s, t): (m, k, n) for s, t, m, k, n in rows}
missed = 0
def check(name, ok, detail):
    global missed
    missed += not ok
    print(f"  {'PASS' if ok else 'FAIL'}  {name}: {detail}")
def get(s, t):
    m, k, n = res.get((s, t), ("", "", ""))
    return (None if m in ("", "failed") else float(m)), (int(k) if k else None), n
g, _, n = get("true", "gate"); mk, _, _ = get("true", "make")
if g is not None and mk is not None:
    check(f"(a) 500 x true within {ratio}x make", g <= ratio * mk, f"{g:.3f} s vs make {mk:.3f} s = {g / mk:.2f}x {n}".strip())
elif ("true", "gate") in res:
    check(f"(a) 500 x true within {ratio}x make", False, "gate or make did not run")
g, _, n = get("sleep", "gate")
if ("sleep", "gate") in res:
    check(f"(b) 16 x sleep 0.5 <= {sleep_ms:.0f} ms after ideal", g is not None and (g - ideal) * 1000 <= sleep_ms,
          f"+{(g - ideal) * 1000:.1f} ms {n}".strip() if g is not None else "failed")
_, k, note = get("output", "gate")
if ("output", "gate") in res:
    check("(c) 500 MB output under 10 MiB RSS, tail kept", k is not None and k < rss_kib and not note,
          f"{k / 1024:.1f} MiB {note}".strip() if k is not None else "failed")
g, _, n = get("version", "gate")
if ("version", "gate") in res:
    check(f"(d) --version under {version_ms:.0f} ms", g is not None and g * 1000 < version_ms,
          f"{g * 1000:.2f} ms {n}".strip() if g is not None else "failed")
sys.exit(1 if missed else 0)
PY
}

# -------------------------------------------------------------------- main

main() {
    local s
    start_scenarios "$@"
    for s in "${SCENARIOS[@]}"; do
        case $s in
            a) scenario_true ;;
            b) scenario_sleep ;;
            c) scenario_output ;;
            d) scenario_version ;;
        esac
    done
    summary
    if ! check_targets && [[ ${BENCH_STRICT:-0} == 1 ]]; then
        exit 1
    fi
}

main "$@"
