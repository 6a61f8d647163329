#!/usr/bin/env bash
# Install the tools that bench/run.sh, bench/http.sh and bench/load.sh
# compare gate against.
# This is the only bench script that touches the network:
#   - hyperfine, GNU time, make, nginx and curl from Debian's packages
#     (apt-get, needs root),
#   - lefthook from the npm registry into bench/.tools/node_modules,
#   - go-task from PyPI (go-task-bin) into a venv at bench/.tools/venv,
#   - hurl 8.0.1 from crates.io, built with cargo into bench/.tools/hurl
#     (needs Debian's libclang-dev, libcurl4-openssl-dev, libxml2-dev and
#     pkg-config; several minutes on 2 cores),
#   - oha 1.16.0 from crates.io, built with cargo into bench/.tools/oha.
# run.sh and http.sh look for the tools there and never download anything.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOOLS="$BENCH_DIR/.tools"
mkdir -p "$TOOLS"

log() { printf '==> %s\n' "$*"; }

HURL_VERSION=8.0.1
HURL=$TOOLS/hurl/bin/hurl

apt_sudo() {
    if [[ $(id -u) -ne 0 ]]; then sudo "$@"; else "$@"; fi
}

apt_install() { # packages...
    log "apt: installing $*"
    apt_sudo apt-get update
    apt_sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@"
}

deb_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

hurl_ok() { [[ -x $HURL ]] && "$HURL" --version 2>/dev/null | head -n 1 | grep -q "^hurl $HURL_VERSION "; }

install_apt() {
    local missing=() p
    command -v hyperfine >/dev/null 2>&1 || missing+=(hyperfine)
    [[ -x /usr/bin/time ]] || missing+=(time)
    command -v make >/dev/null 2>&1 || missing+=(make)
    command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || missing+=(nginx)
    command -v curl >/dev/null 2>&1 || missing+=(curl)
    # Build dependencies of hurl, only while it is still to be built.
    if ! hurl_ok; then
        for p in libclang-dev libcurl4-openssl-dev libxml2-dev pkg-config; do
            deb_installed "$p" || missing+=("$p")
        done
    fi
    if ((${#missing[@]} == 0)); then
        log "apt: hyperfine, time, make, nginx and curl already present"
        return
    fi
    apt_install "${missing[@]}"
}

# Builds crate NAME at VERSION from crates.io into bench/.tools/NAME; its
# cargo target directory lives in bench/.tools too (not the project's
# target/) and is removed afterwards. TIME says how long it takes here.
cargo_install() {
    local name=$1 version=$2 time=$3
    if ! command -v cargo >/dev/null 2>&1; then
        log "$name: cargo not found, skipping (install Rust first)"
        return 1
    fi
    log "$name: cargo install $name --version $version --root bench/.tools/$name ($time)"
    CARGO_TARGET_DIR="$TOOLS/cargo-target" \
        cargo install "$name" --version "$version" --locked --root "$TOOLS/$name"
    rm -rf "$TOOLS/cargo-target"
}

install_hurl() {
    if hurl_ok; then
        log "hurl: $("$HURL" --version | head -n 1 | cut -d' ' -f1-2) already in bench/.tools/hurl"
        return
    fi
    cargo_install hurl "$HURL_VERSION" "several minutes" || return 0
    "$HURL" --version | head -n 1
}

# oha (the load generator bench/load.sh compares with).
OHA_VERSION=1.16.0
OHA=$TOOLS/oha/bin/oha
install_oha() {
    if [[ -x $OHA ]] && "$OHA" --version | grep -q " $OHA_VERSION$"; then
        log "oha: $("$OHA" --version) already in bench/.tools/oha"
        return
    fi
    cargo_install oha "$OHA_VERSION" "about 13 minutes" || return 0
    "$OHA" --version
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
install_hurl
install_oha
log "done; now: cargo build --release && bash bench/run.sh && bash bench/http.sh && bash bench/load.sh"
