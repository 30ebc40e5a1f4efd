#!/usr/bin/env bash
# Installs what a fresh machine lacks for building, simulating and testing the channel:
# Debian's chromium (the simulator's browser) and curl, then the npm dependencies. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
missing=()
[ -x "$CHROMIUM" ] || missing+=(chromium)   # the simulator's browser
command -v curl >/dev/null || missing+=(curl)   # one of the real clients in the server tests
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# npm ci only when node_modules is missing or older than the lock file.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "setup: installing npm dependencies (npm ci)"
    npm ci --no-audit --no-fund
fi
echo "setup: ready ($("$CHROMIUM" --version 2>/dev/null | head -1), node $(node --version))"
