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
