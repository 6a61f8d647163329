#!/usr/bin/env bash
# Helpers shared by bench/run.sh and bench/http.sh (sourced, not run).

say() { printf '%s\n' "$*"; }

# Quote one word for hyperfine -N (which splits commands like a POSIX shell).
q() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

# CPU seconds spent by the whole machine so far (all cores, busy time only).
cpu_busy_s() {
    awk -v hz="$(getconf CLK_TCK)" '/^cpu / {printf "%.2f\n", ($2 + $3 + $4 + $7 + $8) / hz}' /proc/stat
}

# Other work on the machine skews every figure: warn when the CPUs are busy.
check_idle() {
    local a b busy
    a=$(awk '/^cpu / {print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8}' /proc/stat)
    sleep 1
    b=$(awk '/^cpu / {print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8}' /proc/stat)
    busy=$(awk -v a="$a" -v b="$b" 'BEGIN {split(a, x, " "); split(b, y, " "); d = y[2] - x[2]; print (d > 0 ? int(100 * (y[1] - x[1]) / d) : 0)}')
    if ((busy > 10)); then
        say "WARNING: the CPUs were ${busy}% busy before the run; figures will be slower and noisier than on an idle machine"
    else
        say "CPUs idle before the run (${busy}% busy)"
    fi
}

# $GATE as an absolute path, or empty (gate skipped) when it is not built.
find_gate() {
    if [[ -x $GATE ]]; then
        GATE=$(realpath "$GATE")
    else
        say "gate binary '$GATE' not found: skipping gate (build it: cargo build --release)"
        GATE=""
    fi
}
