#!/usr/bin/env bash
# Runs streamhub-bench's presets against StreamHub and against nchan (nginx + libnginx-mod-nchan), side by
# side, RUNS times each, and prints the medians as a Markdown table (raw JSON lines in $OUT).
#
# Each server is pinned to the same CPUs (SERVER_CPUS, default 0) and nginx gets one worker per CPU there;
# the generator runs on the other CPUs (BENCH_CPUS, default 1). Needs root only to install nginx.
# HUB_FLAGS adds flags to StreamHub's command line (e.g. HUB_FLAGS="--socket-writes channel"); NCHAN_PING=20
# makes nchan ping its viewers every 20 s as StreamHub does (by default it sends no pings). EVENT_LOGS=dir keeps
# each run's --event-log there (when each event was sent and how late its slowest delivery was).
#   RUNS=3 PRESETS="fan-out idle" bench/compare.sh
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3}
PRESETS=${PRESETS:-"fan-out saturation many-streams idle join-storm"}
SERVER_CPUS=${SERVER_CPUS:-0}
BENCH_CPUS=${BENCH_CPUS:-1}
HUB_PORT=${HUB_PORT:-18080}
NCHAN_PORT=${NCHAN_PORT:-18081}
OUT=${OUT:-/tmp/streamhub-compare.jsonl}
HUB_FLAGS=${HUB_FLAGS:-}
NCHAN_PING=${NCHAN_PING:-0}
EVENT_LOGS=${EVENT_LOGS:-}
TOKEN=bench-token
WORKERS=$(awk -F, '{ n = 0; for (i = 1; i <= NF; i++) { if ($i ~ /-/) { split($i, r, "-"); n += r[2] - r[1] + 1 } else n++ } print n }' <<< "$SERVER_CPUS")

if [ ! -e /usr/lib/nginx/modules/ngx_nchan_module.so ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light libnginx-mod-nchan > /dev/null
    nginx -s stop 2> /dev/null || true   # the package starts one on port 80
fi
swift build -c release --product streamhub > /dev/null
swift build -c release --product streamhub-bench > /dev/null
BIN=$(swift build -c release --show-bin-path)
ulimit -n 20000

wait_for_port() { for _ in $(seq 1 200); do (echo > "/dev/tcp/127.0.0.1/$1") 2> /dev/null && return 0; sleep 0.05; done; echo "port $1 never opened" >&2; return 1; }

bench() { # label port pids preset; the event log is named after the loop's $run
    local flags=()
    for pid in $3; do flags+=(--pid "$pid"); done
    if [ -n "$EVENT_LOGS" ]; then mkdir -p "$EVENT_LOGS"; flags+=(--event-log "$EVENT_LOGS/$4-$1-$run.txt"); fi
    taskset -c "$BENCH_CPUS" "$BIN/streamhub-bench" --preset "$4" --label "$1" --token "$TOKEN" "${flags[@]}" \
        --ws-url "ws://127.0.0.1:$2/api/v1/streams/{stream}/ws" \
        --publish-url "http://127.0.0.1:$2/api/v1/streams/{stream}/events" | tee /dev/stderr | tail -1 >> "$OUT"
}

run_streamhub() { # preset
    taskset -c "$SERVER_CPUS" "$BIN/streamhub" --host 127.0.0.1 --port "$HUB_PORT" --publish-token "$TOKEN" \
        --max-connections 19000 --log-level warning $HUB_FLAGS &
    local hub=$!
    wait_for_port "$HUB_PORT"
    bench streamhub "$HUB_PORT" "$hub" "$1"
    kill -TERM "$hub"; wait "$hub" || true
}

run_nchan() { # preset
    local prefix
    prefix=$(mktemp -d /tmp/streamhub-nchan.XXXXXX)
    sed -e "s|@PREFIX@|$prefix|g" -e "s|@PORT@|$NCHAN_PORT|g" -e "s|@WORKERS@|$WORKERS|g" -e "s|@PING@|$NCHAN_PING|g" bench/nchan.conf.template > "$prefix/nginx.conf"
    taskset -c "$SERVER_CPUS" nginx -c "$prefix/nginx.conf" -p "$prefix" -e "$prefix/error.log"
    wait_for_port "$NCHAN_PORT"
    local master
    master=$(cat "$prefix/nginx.pid")
    bench nchan "$NCHAN_PORT" "$master $(pgrep -P "$master" | tr '\n' ' ')" "$1"
    nginx -c "$prefix/nginx.conf" -p "$prefix" -s stop
    sleep 0.5
    rm -rf "$prefix"
}

: > "$OUT"
for preset in $PRESETS; do
    for run in $(seq 1 "$RUNS"); do
        echo "=== $preset, run $run of $RUNS" >&2
        run_streamhub "$preset"
        run_nchan "$preset"
    done
done
python3 bench/summarize.py "$OUT"
