#!/usr/bin/env bash
# Two StreamHub builds (or one build with two sets of flags) side by side: RUNS alternating runs of
# one preset each, and the median of their paired ratios. The way a change is judged on this noisy host.
#   A=/tmp/old/.build/release/streamhub B=.build/release/streamhub PRESET=many-streams RUNS=5 bench/ab.sh
#   A_FLAGS="--socket-writes channel" PRESET=fan-out bench/ab.sh     # one build, two modes
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=$(swift build -c release --show-bin-path)
A=${A:-$BIN/streamhub}
B=${B:-$BIN/streamhub}
A_FLAGS=${A_FLAGS:-}
B_FLAGS=${B_FLAGS:-}
PRESET=${PRESET:-many-streams}
RUNS=${RUNS:-3}
PORT=${PORT:-18080}
OUT=${OUT:-/tmp/streamhub-ab.jsonl}
ulimit -n 20000

wait_for_port() { for _ in $(seq 1 200); do (echo > "/dev/tcp/127.0.0.1/$1") 2> /dev/null && return 0; sleep 0.05; done; return 1; }

run() { # label binary flags
    taskset -c 0 "$2" --host 127.0.0.1 --port "$PORT" --publish-token t --max-connections 19000 --log-level warning $3 &
    local hub=$!
    wait_for_port "$PORT"
    taskset -c 1 "$BIN/streamhub-bench" --preset "$PRESET" --label "$1" --token t --pid "$hub" \
        --ws-url "ws://127.0.0.1:$PORT/api/v1/streams/{stream}/ws" \
        --publish-url "http://127.0.0.1:$PORT/api/v1/streams/{stream}/events" | tail -1 >> "$OUT"
    kill -TERM "$hub"; wait "$hub" || true
}

: > "$OUT"
for run in $(seq 1 "$RUNS"); do
    echo "=== $PRESET, pair $run of $RUNS" >&2
    run A "$A" "$A_FLAGS"
    run B "$B" "$B_FLAGS"
done
python3 - "$OUT" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
a = [r for r in rows if r["label"] == "A"]; b = [r for r in rows if r["label"] == "B"]
for key, pick in [("p50 ms", lambda r: r["latency_ms"]["p50"]), ("p99 ms", lambda r: r["latency_ms"]["p99"]),
                  ("CPU µs/delivery", lambda r: r["cpu_us_per_delivery"]), ("missing", lambda r: r["missing"])]:
    va = [pick(r) for r in a]; vb = [pick(r) for r in b]
    ratios = [y / x for x, y in zip(va, vb) if x]
    ratio = f"{statistics.median(ratios):.2f}x" if ratios else "-"
    print(f"{key:16} A {statistics.median(va):8.2f}  B {statistics.median(vb):8.2f}  B/A paired {ratio}  A runs {va}  B runs {vb}")
PY
