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

# shellcheck source=bench/lib.sh
source bench/lib.sh

: > "$OUT"
for run in $(seq 1 "$RUNS"); do
    echo "=== $PRESET, pair $run of $RUNS" >&2
    run_bench A "$A" "$A_FLAGS" --preset "$PRESET"
    run_bench B "$B" "$B_FLAGS" --preset "$PRESET"
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
