#!/usr/bin/env bash
# Install the tools that bench/run.sh compares gate against.
# This is the only bench script that touches the network:
#   - hyperfine and GNU time from Debian's packages (apt-get, needs root),
#   - lefthook from the npm registry into bench/.tools/node_modules,
#   - go-task from PyPI (go-task-bin) into a venv at bench/.tools/venv.
# run.sh looks for the tools there and never downloads anything itself.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOOLS="$BENCH_DIR/.tools"
mkdir -p "$TOOLS"

log() { printf '==> %s\n' "$*"; }

install_apt() {
    local missing=()
    command -v hyperfine >/dev/null 2>&1 || missing+=(hyperfine)
    [[ -x /usr/bin/time ]] || missing+=(time)
    command -v make >/dev/null 2>&1 || missing+=(make)
    if ((${#missing[@]} == 0)); then
        log "apt: hyperfine, time and make already present"
        return
    fi
    local sudo=()
    if [[ $(id -u) -ne 0 ]]; then sudo=(sudo); fi
    log "apt: installing ${missing[*]}"
    "${sudo[@]}" apt-get update
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
}

install_lefthook() {
    if ! command -v npm >/dev/null 2>&1; then
        log "lefthook: npm not found, skipping (install Node.js and npm first)"
        return
    fi
    log "lefthook: npm install --prefix bench/.tools lefthook"
    npm install --prefix "$TOOLS" --no-audit --no-fund lefthook
    "$TOOLS/node_modules/.bin/lefthook" version
}

install_go_task() {
    if ! command -v python3 >/dev/null 2>&1; then
        log "go-task: python3 not found, skipping"
        return
    fi
    if [[ ! -x "$TOOLS/venv/bin/pip" ]]; then
        log "go-task: creating venv bench/.tools/venv"
        python3 -m venv "$TOOLS/venv"
    fi
    log "go-task: pip install go-task-bin"
    "$TOOLS/venv/bin/pip" install --quiet --disable-pip-version-check go-task-bin
    "$TOOLS/venv/bin/task" --version
}

install_apt
install_lefthook
install_go_task
log "done; now: cargo build --release && bash bench/run.sh"
