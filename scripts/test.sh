#!/usr/bin/env bash
# scripts/test.sh - run the whole musicagg test suite on a fresh Debian machine.
#
# Installs and starts what the tests need when it is missing, runs every test
# (cargo nextest when installed, else cargo test), then the benchmark tool's
# --quick smoke run:
#   - PostgreSQL: the server on 127.0.0.1:5432 when one answers there (trust
#     auth, user postgres); otherwise the Debian package is installed if needed
#     and a private cluster is started on 127.0.0.1:55432 (stopped on exit).
#     MUSICAGG_TEST_DATABASE_URL overrides all of this; MUSICAGG_TEST_PG=private
#     forces the private cluster (to check that path on a machine that has a server).
#   - qbittorrent-nox (real torrent client tests), mktorrent (test torrents),
#     transmission-show from transmission-cli (an independent info hash),
#     flac, sox and lame (real FLAC and MP3 albums for the download and import
#     tests), unshare from util-linux (a torrent client in a mount namespace of
#     its own, as in a container), script from bsdutils (the interactive CLI
#     on a pseudo-terminal), chromium and chromedriver from chromium-driver
#     (the web page's tests drive a real headless Chromium): Debian packages.
#
# Usage: scripts/test.sh [extra arguments for the test runner]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf 'test.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

apt_install() {
    [ "$(id -u)" -eq 0 ] || die "missing $*; install it with: sudo apt-get install -y $*"
    log "installing $* with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1; then
        apt-get update -qq >/dev/null 2>&1 || true
        apt-get install -y -qq --no-install-recommends "$@" >/dev/null || die "apt-get install $* failed"
    fi
}

# --- tools ------------------------------------------------------------------------
need=()
for tool in qbittorrent-nox:qbittorrent-nox mktorrent:mktorrent transmission-show:transmission-cli flac:flac sox:sox lame:lame unshare:util-linux script:bsdutils chromedriver:chromium-driver; do
    command -v "${tool%%:*}" >/dev/null 2>&1 || need+=("${tool#*:}")
done
# Screenshots of the web page need at least one font to show text.
if ! fc-list 2>/dev/null | grep -q .; then need+=(fonts-dejavu-core); fi
[ ${#need[@]} -eq 0 ] || apt_install "${need[@]}"

# --- PostgreSQL -------------------------------------------------------------------
PG_DIR=""
cleanup() {
    if [ -n "$PG_DIR" ] && [ -d "$PG_DIR" ]; then
        runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast stop >/dev/null 2>&1 || true
        rm -rf "$PG_DIR"
    fi
}
trap cleanup EXIT

start_private_postgres() {
    local port=55432
    PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
    if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
        apt_install postgresql
        PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
    fi
    [ "$(id -u)" -eq 0 ] || die "no PostgreSQL on 127.0.0.1:5432; start one or set MUSICAGG_TEST_DATABASE_URL"
    port_open "$port" && die "port $port is taken; set MUSICAGG_TEST_DATABASE_URL"
    PG_DIR="$(mktemp -d /tmp/musicagg-test-pg.XXXXXX)"
    chown postgres "$PG_DIR"
    log "starting a private PostgreSQL on 127.0.0.1:$port ($PG_DIR)"
    runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust >/dev/null
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $PG_DIR -c max_connections=300 -c fsync=off" start >/dev/null
    export MUSICAGG_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
}

if [ -z "${MUSICAGG_TEST_DATABASE_URL:-}" ]; then
    if port_open 5432 && [ "${MUSICAGG_TEST_PG:-}" != private ]; then
        export MUSICAGG_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres"
    else
        start_private_postgres
    fi
fi
log "PostgreSQL for tests: $MUSICAGG_TEST_DATABASE_URL"

# --- tests -----------------------------------------------------------------------
if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --no-fail-fast "$@"
else
    cargo test --no-fail-fast "$@"
fi

# --- the benchmark tool, as a smoke run (no thresholds: it must not rot) ---------
# Skipped when the caller narrowed the tests with arguments.
if [ $# -eq 0 ]; then
    log "benchmark smoke run (cargo run --example bench -- --quick)"
    cargo run --example bench -- --quick
fi
