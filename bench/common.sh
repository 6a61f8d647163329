#!/usr/bin/env bash
# Helpers shared by bench/run.sh, bench/http.sh, bench/load.sh and
# bench/scale.sh (sourced, not run). The nginx helpers read HOST, WORK, NGINX and CURL, and set PORT
# and NGINX_PID.

say() { printf '%s\n' "$*"; }

# Quote one word for hyperfine -N (which splits commands like a POSIX shell).
q() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

# One command line for hyperfine -N, each word quoted.
cmdline() {
    local out="" w
    for w in "$@"; do out+="$(q "$w") "; done
    printf '%s' "${out% }"
}

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

# The start of a run of scenarios: the scenarios asked for on the command
# line, a to d (default: all), in SCENARIOS (exit 2 on any other word);
# then the script's own find_tools and print_versions, and check_idle.
start_scenarios() {
    local s
    SCENARIOS=("$@")
    ((${#SCENARIOS[@]})) || SCENARIOS=(a b c d)
    for s in "${SCENARIOS[@]}"; do
        [[ $s == [abcd] ]] || { say "unknown scenario '$s' (use a, b, c or d)"; exit 2; }
    done
    find_tools
    print_versions
    check_idle
}

# Stops (exit 1) without hyperfine or python3 (which reads hyperfine's JSON).
need_hyperfine() {
    local missing=0
    if ! command -v hyperfine >/dev/null 2>&1; then
        say "hyperfine not found: run 'bash bench/setup.sh' (or: apt-get install hyperfine)"
        missing=1
    fi
    if ! command -v python3 >/dev/null 2>&1; then
        say "python3 not found (used to read hyperfine's JSON): apt-get install python3"
        missing=1
    fi
    ((missing == 0)) || exit 1
}

# Median, min and max (seconds) of a hyperfine JSON export, and how many cores
# other processes kept busy meanwhile: machine CPU time over the benchmark
# minus the benchmarked commands' own user + system time, per wall second.
hf_stats() { # json runs+warmup cpu-delta wall
    python3 - "$@" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
n, cpu, wall = int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
own = n * (r["user"] + r["system"])
other = max(0.0, (cpu - own) / wall) if wall > 0 else 0.0
print(f'{r["median"]:.6f} {r["min"]:.6f} {r["max"]:.6f} {other:.2f}')
PY
}

# hf_run JSON RUNS WARMUP NAME CMD... : hyperfine -N over CMD, its export in
# JSON. Sets HF_MEDIAN, HF_MIN, HF_MAX (seconds), HF_OTHER (cores of other
# load) and HF_NOTE (`noisy: ...` above 0.25 cores); returns 1, saying so,
# when the command failed.
hf_run() {
    local json=$1 runs=$2 warmup=$3 name=$4 c0 c1 w0 w1
    shift 4
    HF_NOTE=""
    c0=$(cpu_busy_s) w0=$EPOCHREALTIME
    if ! hyperfine -N --style none --warmup "$warmup" --runs "$runs" \
        --export-json "$json" -n "$name" "$(cmdline "$@")" >/dev/null 2>"$json.err"; then
        say "  $name: FAILED ($(tail -n 3 "$json.err" | tr '\n' ' '))"
        return 1
    fi
    c1=$(cpu_busy_s) w1=$EPOCHREALTIME
    read -r HF_MEDIAN HF_MIN HF_MAX HF_OTHER < <(hf_stats "$json" $((runs + warmup)) \
        "$(awk -v a="$c0" -v b="$c1" 'BEGIN {print b - a}')" \
        "$(awk -v a="$w0" -v b="$w1" 'BEGIN {print b - a}')")
    if awk -v o="$HF_OTHER" 'BEGIN {exit !(o > 0.25)}'; then HF_NOTE="noisy: other load ${HF_OTHER} cores"; fi
}

# MAKE: GNU make's path, or empty (make skipped) when it is not installed.
find_make() {
    MAKE=$(command -v make || true)
    [[ -n $MAKE ]] || say "make not found (apt-get install make): skipping make"
}

# The machine, the time and hyperfine's version, for the record.
say_machine() {
    say "machine: $(nproc) cores, $(uname -sm); $(date -u +%Y-%m-%dT%H:%MZ)"
    say "hyperfine: $(hyperfine --version)"
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

# ------------------------------------------------------------------ nginx

# CPU seconds (user + system) used so far by nginx: its master and workers.
server_cpu_s() {
    local pids pid
    pids=$(ps -o pid= --ppid "$NGINX_PID" 2>/dev/null || true)
    # shellcheck disable=SC2086
    for pid in $NGINX_PID $pids; do cat "/proc/$pid/stat" 2>/dev/null || true; done |
        awk -v hz="$(getconf CLK_TCK)" '{s += $14 + $15} END {printf "%.2f\n", s / hz}'
}

# A free TCP port on 127.0.0.1 (the kernel picks it; nginx binds it right after).
free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

write_nginx_conf() { # dir port
    local dir=$1 port=$2
    mkdir -p "$dir/tmp"
    cat >"$dir/nginx.conf" <<EOF
# Minimal server for the bench scripts: every path answers 200 "ok".
daemon off;
master_process on;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;

events {
    worker_connections 4096;
}

http {
    access_log off;
    default_type text/plain;
    keepalive_timeout 60s;
    keepalive_requests 100000;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;

    server {
        listen $HOST:$port;
        location / {
            return 200 "ok\n";
        }
    }
}
EOF
}

# Starts nginx on a free port (a few tries, in case another process took the
# port first) and waits until it answers. Sets PORT and NGINX_PID.
start_server() {
    local dir=$WORK/nginx try i
    mkdir -p "$dir"
    for try in 1 2 3 4 5; do
        PORT=$(free_port)
        write_nginx_conf "$dir" "$PORT"
        "$NGINX" -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" >"$dir/stdout" 2>&1 &
        NGINX_PID=$!
        for ((i = 0; i < 50; i++)); do
            if "$CURL" -sf -o /dev/null --max-time 1 "http://$HOST:$PORT/ready"; then
                say "nginx: listening on $HOST:$PORT (pid $NGINX_PID, worker_processes 1, keepalive on)"
                return 0
            fi
            kill -0 "$NGINX_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -QUIT "$NGINX_PID" 2>/dev/null || true
        wait "$NGINX_PID" 2>/dev/null || true
        NGINX_PID=""
        say "nginx: could not start on port $PORT (try $try): $(tail -n 2 "$dir/error.log" "$dir/stdout" 2>/dev/null | grep -v '^==' | tr '\n' ' ')"
    done
    say "nginx would not start: giving up"
    exit 1
}
