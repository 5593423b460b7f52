#!/usr/bin/env bash
# scripts/demo.sh - watch musicagg get a real album, on loopback, in a few minutes.
#
# Sets up the whole scene on 127.0.0.1 and runs the real service:
#   1. makes a small album: 3 FLAC tracks of 10 s (tagged) and a .torrent of it;
#   2. starts two qbittorrent-nox: a seeder holding the album (with its embedded
#      tracker) and a leecher, your "home" client (DHT/PeX/LSD/UPnP off);
#   3. starts the test suite's fake MusicBrainz and Jackett (examples/demo.rs):
#      Jackett offers four releases, only one of them right;
#   4. starts `musicagg serve` (SQLite in the work folder) and runs
#      `musicagg monitor` in front of you: every step, the choice and why;
#   5. `monitor --follow` watches the download to IMPORTED; the album is then
#      checked in the library folder byte for byte.
# Everything it started is stopped on exit, Ctrl-C included; the work folder is
# removed unless --keep is given (or something failed: then it is kept to look at).
#
# Usage: scripts/demo.sh [--keep]
# Needs: a Rust toolchain; installs qbittorrent-nox, mktorrent, flac, sox, curl
# with apt-get when missing (as root).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"
KEEP=false
[ "${1:-}" = "--keep" ] && KEEP=true

log() { printf '\033[1mdemo:\033[0m %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null \
    || shuf -i 20000-60000 -n 1; }

# --- tools -------------------------------------------------------------------------
need=()
for tool in qbittorrent-nox:qbittorrent-nox mktorrent:mktorrent flac:flac sox:sox curl:curl; do
    command -v "${tool%%:*}" >/dev/null 2>&1 || need+=("${tool#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
    [ "$(id -u)" -eq 0 ] || die "missing ${need[*]}: sudo apt-get install -y ${need[*]}"
    log "installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 \
        || { apt-get update -qq >/dev/null 2>&1 || true; apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; }
fi

# --- clean-up, whatever happens --------------------------------------------------------
W="$(mktemp -d /tmp/musicagg-demo.XXXXXX)"
PIDS=()
cleanup() {
    local rc=$?
    trap - INT TERM
    # Newest first: the monitor, the service, the fakes, then the clients.
    local pid i
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do kill -TERM "${PIDS[i]}" 2>/dev/null || true; done
    pkill -TERM -P $$ 2>/dev/null || true
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    done
    # Kept for a look after a failure (not after Ctrl-C), or with --keep.
    if $KEEP || { [ $rc -ne 0 ] && [ $rc -ne 130 ]; }; then log "work folder kept: $W"; else rm -rf "$W"; fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# Long steps run in the background and are waited for: `wait` returns at
# once on Ctrl-C, where a foreground command would delay the clean-up.
run_bg() { "$@" & PIDS+=($!); wait $!; }

log "building musicagg and the fake servers"
run_bg cargo build -q --bin musicagg --example demo
BIN="$ROOT/target/debug/musicagg"

# --- 1. the album ----------------------------------------------------------------------
NAME="Artist - Album (2020) [FLAC]"
SRC="$W/seed"
mkdir -p "$SRC/$NAME"
for n in 1 2 3; do
    sox -q -n -r 44100 -c 2 -b 16 "$W/t$n.wav" synth 10 pinknoise vol 0.4
    flac -s -f -T ARTIST=Artist -T ALBUM=Album -T "TITLE=Song $n" -T "TRACKNUMBER=$n" -T DATE=2020 \
        -o "$SRC/$NAME/0$n - Song $n.flac" "$W/t$n.wav"
    rm -f "$W/t$n.wav"
done
TRACKER_PORT="$(free_port)"
(cd "$SRC" && mktorrent -l 15 -a "http://127.0.0.1:$TRACKER_PORT/announce" -o "$W/album.torrent" "$NAME" >/dev/null)
log "album made: $(du -sh "$SRC/$NAME" | cut -f1) in $SRC"

# --- 2. two qBittorrents ------------------------------------------------------------------
# Localhost needs no WebUI login here (LocalHostAuth=false): a demo, not a set-up to copy.
start_qbt() { # profile webui-port listen-port download-dir tracker(true|false)
    local profile="$1" webui="$2" listen="$3" downloads="$4" tracker="$5"
    mkdir -p "$profile/qBittorrent/config" "$downloads"
    cat >"$profile/qBittorrent/config/qBittorrent.conf" <<EOF
[LegalNotice]
Accepted=true

[BitTorrent]
Session\\Port=$listen
Session\\Interface=lo
Session\\InterfaceName=lo
Session\\InterfaceAddress=127.0.0.1
Session\\DHTEnabled=false
Session\\PeXEnabled=false
Session\\LSDEnabled=false
Session\\MultiConnectionsPerIp=true
Session\\IgnoreLimitsOnLAN=true
Session\\QueueingSystemEnabled=false
Session\\DefaultSavePath=$downloads
TrackerEnabled=$tracker

[Network]
PortForwardingEnabled=false

[Preferences]
Advanced\\trackerPort=$TRACKER_PORT
Connection\\ResolvePeerCountries=false
WebUI\\Enabled=true
WebUI\\Address=127.0.0.1
WebUI\\Port=$webui
WebUI\\UseUPnP=false
WebUI\\LocalHostAuth=false
EOF
    qbittorrent-nox --profile="$profile" </dev/null >"$profile/out.log" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 1 150); do
        curl -sf "http://127.0.0.1:$webui/api/v2/app/version" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    die "qbittorrent-nox did not start (see $profile/out.log)"
}
SEED_WEBUI="$(free_port)"; LEECH_WEBUI="$(free_port)"
start_qbt "$W/seeder" "$SEED_WEBUI" "$(free_port)" "$SRC" true
start_qbt "$W/leecher" "$LEECH_WEBUI" "$(free_port)" "$W/leecher/downloads" false
curl -sf "http://127.0.0.1:$SEED_WEBUI/api/v2/torrents/add" -F "torrents=@$W/album.torrent" -F "savepath=$SRC" >/dev/null
for _ in $(seq 1 150); do
    curl -sf "http://127.0.0.1:$SEED_WEBUI/api/v2/torrents/info" | grep -q '"progress":1' && break
    sleep 0.2
done
log "seeder on 127.0.0.1:$SEED_WEBUI holds the album; your qBittorrent is on 127.0.0.1:$LEECH_WEBUI"

# --- 3. fake MusicBrainz and Jackett ------------------------------------------------------
"$ROOT/target/debug/examples/demo" --torrent "$W/album.torrent" --track-ms 10000 --env-file "$W/fakes.env" \
    2>"$W/fakes.log" &
PIDS+=($!)
for _ in $(seq 1 100); do [ -s "$W/fakes.env" ] && break; sleep 0.1; done
[ -s "$W/fakes.env" ] || die "the fake servers did not start (see $W/fakes.log)"
# shellcheck disable=SC1091
. "$W/fakes.env"

# --- 4. musicagg --------------------------------------------------------------------------
PORT="$(free_port)"
cat >"$W/musicagg.toml" <<EOF
listen = "127.0.0.1:$PORT"
data_dir = "$W/musicagg"

[musicbrainz]
base_url = "$MUSICBRAINZ_URL"

[[indexers]]
name = "jackett"
url = "$INDEXER_URL"
api_key = "$INDEXER_KEY"

[qbittorrent]
url = "http://127.0.0.1:$LEECH_WEBUI"
username = "admin"
password = "unused-on-localhost"
category = "music"

[library]
path = "$W/library"

[downloads]
poll_interval = 1
EOF
"$BIN" --config "$W/musicagg.toml" serve 2>"$W/serve.log" &
PIDS+=($!)
SERVER="http://127.0.0.1:$PORT"
for _ in $(seq 1 100); do "$BIN" runs --server "$SERVER" >/dev/null 2>&1 && break; sleep 0.2; done
log "musicagg serve on $SERVER (logs: $W/serve.log)"
echo
run_bg "$BIN" monitor "$ALBUM_ID" --quality lossless --follow --server "$SERVER" || true
echo

# --- 5. the album arrives in the library ------------------------------------------------------
DST="$W/library/Artist/Album (2020)"
for n in 1 2 3; do
    cmp -s "$SRC/$NAME/0$n - Song $n.flac" "$DST/0$n - Song $n.flac" || die "track $n did not arrive intact"
done
log "the album arrived in the library, byte for byte (hard links of what your qBittorrent seeds):"
ls -li "$DST" "$W/leecher/downloads/$NAME" >&2
echo
"$BIN" downloads --server "$SERVER"
echo
"$BIN" candidates "$("$BIN" runs --json --server "$SERVER" | head -n 1 | sed 's/.*"run_id":"\([^"]*\)".*/\1/')" --server "$SERVER"
