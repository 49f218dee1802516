#!/usr/bin/env bash
# Join storms against one StreamHub build with viewer tokens off, HS256 and ES256, in alternating
# runs: the connect rate each reaches and what verification costs per connect.
#   RUNS=3 VIEWERS=10000 RATE=20000 bench/auth-storm.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
VIEWERS=${VIEWERS:-10000}
RATE=${RATE:-20000}
PORT=${PORT:-18080}
OUT=${OUT:-/tmp/streamhub-auth-storm.jsonl}
swift build -c release --product streamhub > /dev/null
swift build -c release --product streamhub-bench > /dev/null
BIN=$(swift build -c release --show-bin-path)
ulimit -n 20000
KEYS=$(mktemp -d)
trap 'rm -rf "$KEYS"' EXIT
SECRET="bench-viewer-secret-of-thirty-two-bytes"
openssl ecparam -name prime256v1 -genkey -noout -out "$KEYS/ec.pem"
openssl ec -in "$KEYS/ec.pem" -pubout -out "$KEYS/ec-public.pem" 2> /dev/null

# shellcheck source=bench/lib.sh
source bench/lib.sh
storm() { # label, hub flags, streamhub-bench arguments...
    local label=$1 flags=$2
    shift 2
    run_bench "$label" "$BIN/streamhub" "$flags" --preset join-storm --viewers "$VIEWERS" --connect-rate "$RATE" --hold 1 "$@"
}

: > "$OUT"
for run in $(seq 1 "$RUNS"); do
    echo "=== join storm, round $run of $RUNS" >&2
    storm none ""
    storm hs256 "--viewer-jwt-secret $SECRET" --viewer-token-secret "$SECRET"
    storm es256 "--viewer-jwt-public-key $KEYS/ec-public.pem" --viewer-token-key "$KEYS/ec.pem"
done
python3 - "$OUT" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
base = [r for r in rows if r["label"] == "none"]
for label in ["none", "hs256", "es256"]:
    runs = [r for r in rows if r["label"] == label]
    rate = [r["connected"] / r["connect_seconds"] for r in runs]
    ratios = [r["connected"] / r["connect_seconds"] / (b["connected"] / b["connect_seconds"]) for r, b in zip(runs, base)]
    print(f"{label:6} connected {statistics.median(r['connected'] for r in runs):6.0f}  connects/s {statistics.median(rate):7.0f}"
          f"  vs none (paired) {statistics.median(ratios):.2f}x  runs {[round(x) for x in rate]}  failures {[r['connect_failures'] for r in runs]}")
PY
