"""Medians of streamhub-bench's JSON lines, per preset and server, as a Markdown table."""
import json
import statistics
import sys
from collections import defaultdict

runs = defaultdict(list)
for line in open(sys.argv[1]):
    line = line.strip()
    if line.startswith("{"):
        result = json.loads(line)
        runs[(result["preset"], result["label"])].append(result)

def median(results, key, sub=None):
    values = [r[key][sub] if sub else r[key] for r in results if key in r and (sub is None or sub in r[key])]
    return statistics.median(values) if values else None

def fmt(value, digits=1):
    return "-" if value is None else f"{value:,.{digits}f}"

print("| preset | server | runs | missing | p50 ms | p99 ms | max ms | deliveries/s | CPU µs/delivery | KiB/viewer | count msgs/viewer (max) |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for (preset, label), results in sorted(runs.items()):
    bytes_per_viewer = median(results, "bytes_per_viewer")
    print(f"| {preset} | {label} | {len(results)} | {fmt(median(results, 'missing'), 0)} "
          f"| {fmt(median(results, 'latency_ms', 'p50'), 2)} | {fmt(median(results, 'latency_ms', 'p99'), 2)} "
          f"| {fmt(median(results, 'latency_ms', 'max'), 2)} | {fmt(median(results, 'deliveries_per_second'), 0)} "
          f"| {fmt(median(results, 'cpu_us_per_delivery'), 2)} | {fmt(bytes_per_viewer / 1024 if bytes_per_viewer else None, 2)} "
          f"| {fmt(median(results, 'count_messages_max'), 0)} |")

# compare.sh runs the servers one after the other within each run, so run i of one server and run i of
# the other saw the same host conditions; the median of those paired ratios is steadier than a ratio of medians.
RATIOS = [("p99", "latency_ms", "p99"), ("CPU/delivery", "cpu_us_per_delivery", None), ("KiB/viewer", "bytes_per_viewer", None)]
labels = sorted({label for (_, label) in runs})
if len(labels) == 2:
    subject, reference = ("streamhub", "nchan") if set(labels) == {"streamhub", "nchan"} else labels
    print(f"\nPaired ratios, {subject} / {reference} (median of the runs' ratios; in how many runs {subject} was at or below):\n")
    print("| preset | " + " | ".join(name for name, _, _ in RATIOS) + " |")
    print("|---|" + "---|" * len(RATIOS))
    for preset in sorted({preset for (preset, _) in runs}):
        cells = []
        for _, key, sub in RATIOS:
            pairs = [
                (a[key][sub] if sub else a[key], b[key][sub] if sub else b[key])
                for a, b in zip(runs[(preset, subject)], runs[(preset, reference)])
                if a.get(key) is not None and b.get(key) is not None and (sub is None or (sub in a[key] and sub in b[key]))
            ]
            ratios = [x / y for x, y in pairs if y]
            cells.append(f"{statistics.median(ratios):.2f}× ({sum(r <= 1 for r in ratios)}/{len(ratios)})" if ratios else "-")
        print(f"| {preset} | " + " | ".join(cells) + " |")
