#!/usr/bin/env bash
# Runs the fuzz targets one after another, SECONDS each (default 600), at a
# low priority, and keeps each run's log in logs/TARGET.log.
# Usage: fuzz/run.sh [SECONDS] [TARGET...]   (after fuzz/seed.sh)
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(config interpolate markdown merge)
mkdir -p logs
for target in "${targets[@]}"; do
    dict=()
    [ -f "dict/$target.dict" ] && dict=(-dict="dict/$target.dict")
    echo "--- $target, $seconds s"
    nice -n 10 cargo +nightly fuzz run "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len=16384 \
        -print_final_stats=1 "${dict[@]}" >"logs/$target.log" 2>&1 || {
        echo "$target stopped on a finding: see logs/$target.log and artifacts/$target/"
        exit 1
    }
    grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)|^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb|new_units_added)' \
        "logs/$target.log"
done
