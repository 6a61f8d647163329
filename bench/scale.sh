#!/usr/bin/env bash
# Benchmark gate on large configs: how checking and planning grow with the
# number of gates, and a large DAG of gates run next to make on the same DAG.
#
#   (a) `gate check`            on 5,000 and 20,000 gates   hyperfine medians, growth
#   (b) `gate run --dry-run`    on 5,000 and 20,000 gates   hyperfine medians, growth
#   (c) `gate list`             on 5,000 and 20,000 gates   hyperfine medians, growth
#   (d) 3,000 gates of `true` joined by `needs` into a DAG, at -j 2,
#       next to make -j 2 on a Makefile with the same DAG    hyperfine medians
#
# Usage: bash bench/scale.sh [a|b|c|d ...]      (default: all scenarios)
#
# Environment:
#   GATE=target/release/gate   gate binary, relative to the repo root (skipped if absent)
#   RUNS=10 WARMUP=2           hyperfine runs for each command
#   SMALL=5000 LARGE=20000     gates in the two configs of (a) to (c)
#   DAG=3000                   gates in the DAG of (d)
#   KEEP=DIR                   also copy the generated inputs to DIR (for profiling)
#   BENCH_STRICT=1             exit 1 when gate misses a target
#
# Never touches the network: install hyperfine first (bench/setup.sh, or
# apt-get install hyperfine).
set -euo pipefail

# shellcheck source=bench/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

cd "$(dirname "${BASH_SOURCE[0]}")/.."

GATE=${GATE:-target/release/gate}
RUNS=${RUNS:-10}
WARMUP=${WARMUP:-2}
SMALL=${SMALL:-5000}
LARGE=${LARGE:-20000}
DAG=${DAG:-3000}
J_DAG=2
# Gates a service has in the generated monorepo configs.
PER_SERVICE=10

# Targets for gate.
TARGET_CHECK_MS=50     # (a) `gate check` of $SMALL gates under 50 ms
TARGET_GROWTH=5        # (a), (b): at most 5x the time for 4x the gates
TARGET_DAG_RATIO=1.1   # (d) within 1.1x make's median

WORK=$(mktemp -d "${TMPDIR:-/tmp}/gate-bench-scale.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM
RESULTS=$WORK/results.tsv   # scenario, size, tool, median_s, note
: >"$RESULTS"

record() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RESULTS"; }

# time_cmd SCENARIO SIZE TOOL CMD... : hyperfine median, in the current
# directory; prints one line and records the result.
time_cmd() {
    local scenario=$1 size=$2 tool=$3
    shift 3
    if ! hf_run "$WORK/$scenario-$size-$tool.json" "$RUNS" "$WARMUP" "$tool ($size)" "$@"; then
        record "$scenario" "$size" "$tool" failed "command failed"
        return 0
    fi
    printf '  %-6s %6s gates  median %8.4f s  (min %.4f, max %.4f)  other load %.2f cores\n' \
        "$tool" "$size" "$HF_MEDIAN" "$HF_MIN" "$HF_MAX" "$HF_OTHER"
    record "$scenario" "$size" "$tool" "$HF_MEDIAN" "$HF_NOTE"
}

find_tools() {
    need_hyperfine
    find_make
    find_gate
}

print_versions() {
    say_machine
    [[ -z $MAKE ]] || say "make: $($MAKE --version | head -n 1)"
    [[ -z $GATE ]] || say "gate: $($GATE --version 2>&1 | head -n 1) ($GATE)"
}

# ------------------------------------------------------- input generators

# A monorepo's checklist of COUNT gates: `bootstrap`, then services of
# $PER_SERVICE gates each. Every gate but the first has a section (its
# service), two tags (its service's and its kind's) and a need (the gate
# before it in its service, or `bootstrap`); a profile selects one kind.
gen_monorepo() { # file count
    local file=$1 count=$2 i service step need
    {
        printf 'version = 1\n\n[profiles.security]\ntags = ["kind-3"]\n\n'
        printf '[gates.bootstrap]\nname = "Toolchain installed"\nsection = "Setup"\n'
        printf 'tags = ["setup"]\nrun = "true"\n\n'
        for ((i = 0; i < count - 1; i++)); do
            service=$((i / PER_SERVICE + 1)) step=$((i % PER_SERVICE + 1))
            if ((step == 1)); then need=bootstrap; else need="svc$service-check$((step - 1))"; fi
            printf '[gates.svc%d-check%d]\nname = "Service %d: check %d passes"\n' \
                "$service" "$step" "$service" "$step"
            printf 'section = "Service %d"\ntags = ["svc-%d", "kind-%d"]\n' "$service" "$service" "$step"
            printf 'run = "true"\nneeds = ["%s"]\n\n' "$need"
        done
    } >"$file"
}

# COUNT gates of `true` as a DAG: gate i (from 2 on) needs gate i/2, a
# binary tree that leaves work for two jobs from its third gate on. The
# Makefile has the same DAG: target ti depends on t(i/2).
gen_dag() { # dir count
    local dir=$1 count=$2 i targets=""
    mkdir -p "$dir"
    for ((i = 1; i <= count; i++)); do targets+=" t$i"; done
    {
        printf '.PHONY: all%s\nall:%s\n' "$targets" "$targets"
        printf 't1:\n\t@true\n'
        for ((i = 2; i <= count; i++)); do printf 't%d: t%d\n\t@true\n' "$i" $((i / 2)); done
    } >"$dir/Makefile"
    {
        printf '[gates.g1]\nrun = "true"\n\n'
        for ((i = 2; i <= count; i++)); do
            printf '[gates.g%d]\nrun = "true"\nneeds = ["g%d"]\n\n' "$i" $((i / 2))
        done
    } >"$dir/gates.toml"
}

# --------------------------------------------------------------- scenarios

monorepo() { # size: the config's path, generated once
    local file=$WORK/monorepo-$1.toml
    [[ -f $file ]] || gen_monorepo "$file" "$1"
    printf '%s' "$file"
}

scenario_gate() { # scenario title args...
    local scenario=$1 title=$2 size
    shift 2
    say ""
    say "($scenario) gate $title (hyperfine -N --warmup $WARMUP --runs $RUNS)"
    [[ -n $GATE ]] || { say "  gate not built: skipped"; return 0; }
    for size in "$SMALL" "$LARGE"; do
        time_cmd "$scenario" "$size" gate "$GATE" "$@" -c "$(monorepo "$size")"
    done
}

scenario_dag() {
    say ""
    say "(d) $DAG gates of true in a DAG at concurrency $J_DAG (hyperfine -N --warmup $WARMUP --runs $RUNS)"
    local dir=$WORK/dag
    gen_dag "$dir" "$DAG"
    (
        cd "$dir"
        [[ -z $MAKE ]] || time_cmd dag "$DAG" make "$MAKE" -s -f Makefile -j "$J_DAG"
        [[ -z $GATE ]] || time_cmd dag "$DAG" gate "$GATE" run -c gates.toml -j "$J_DAG"
    )
}

# ----------------------------------------------------------------- summary

# Prints the table and PASS/FAIL per target; returns 1 if one was missed.
summary() {
    say ""
    say "summary (medians)"
    python3 - "$RESULTS" "$SMALL" "$LARGE" "$DAG" "$TARGET_CHECK_MS" "$TARGET_GROWTH" "$TARGET_DAG_RATIO" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1]), delimiter="\t"))
small, large, dag = sys.argv[2], sys.argv[3], sys.argv[4]
check_ms, growth, dag_ratio = map(float, sys.argv[5:])
titles = {"check": "(a) gate check", "dry-run": "(b) gate run --dry-run",
          "list": "(c) gate list", "dag": "(d) DAG of true, -j2"}
res = {(s, n, t): (None if m == "failed" else float(m), note) for s, n, t, m, note in rows}
print(f"{'scenario':<24} {'gates':>6} {'tool':<6} {'median':>10}  note")
for s, n, t, m, note in rows:
    med = "failed" if m == "failed" else f"{float(m) * 1000:.1f} ms"
    print(f"{titles[s]:<24} {n:>6} {t:<6} {med:>10}  {note}")
missed = 0
def check(name, ok, detail):
    global missed
    missed += not ok
    print(f"  {'PASS' if ok else 'FAIL'}  {name}: {detail}")
def median(s, n, t):
    return res.get((s, n, t), (None, ""))[0]
print("\ngate targets")
if ("check", small, "gate") in res:
    m = median("check", small, "gate")
    check(f"(a) check of {small} gates under {check_ms:.0f} ms", m is not None and m * 1000 < check_ms,
          "failed" if m is None else f"{m * 1000:.1f} ms")
for s in ("check", "dry-run", "list"):
    a, b = median(s, small, "gate"), median(s, large, "gate")
    if (s, small, "gate") not in res:
        continue
    ok = a is not None and b is not None and b <= growth * a
    detail = "failed" if a is None or b is None else f"{a * 1000:.1f} ms -> {b * 1000:.1f} ms = {b / a:.2f}x"
    if s == "list":
        print(f"  info  {titles[s][4:]} grows {detail}")
    else:
        check(f"{titles[s][:3]} {titles[s][4:]} grows at most {growth:.0f}x from {small} to {large} gates", ok, detail)
g, mk = median("dag", dag, "gate"), median("dag", dag, "make")
if ("dag", dag, "gate") in res:
    ok = g is not None and mk is not None and g <= dag_ratio * mk
    detail = "gate or make did not run" if g is None or mk is None else f"{g:.3f} s vs make {mk:.3f} s = {g / mk:.2f}x"
    check(f"(d) DAG of {dag} within {dag_ratio}x make", ok, detail)
sys.exit(1 if missed else 0)
PY
}

keep_inputs() {
    [[ -n ${KEEP:-} ]] || return 0
    mkdir -p "$KEEP"
    cp -r "$WORK"/monorepo-*.toml "$WORK"/dag "$KEEP"/ 2>/dev/null || true
    say "inputs copied to $KEEP"
}

# -------------------------------------------------------------------- main

main() {
    local s
    start_scenarios "$@"
    for s in "${SCENARIOS[@]}"; do
        case $s in
            a) scenario_gate check check check ;;
            b) scenario_gate dry-run "run --dry-run" run --dry-run ;;
            c) scenario_gate list list list ;;
            d) scenario_dag ;;
        esac
    done
    keep_inputs
    local status=0
    summary || status=$?
    if ((status != 0)) && [[ ${BENCH_STRICT:-0} == 1 ]]; then
        exit 1
    fi
}

main "$@"
