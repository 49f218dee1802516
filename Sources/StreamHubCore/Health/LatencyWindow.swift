import Synchronization

/// Broadcast latencies since the last health check, in the contract's buckets, for a p99 that agrees
/// with `histogram_quantile(0.99, …)` over the same buckets.
final class LatencyWindow: Sendable {
    private let bounds: [Duration]
    private let counts: Mutex<[Int]>

    init(bounds: [Duration]) {
        self.bounds = bounds
        self.counts = Mutex(Array(repeating: 0, count: bounds.count + 1))
    }

    func record(_ latency: Duration) {
        let bucket = bounds.firstIndex { latency <= $0 } ?? bounds.count
        counts.withLock { $0[bucket] += 1 }
    }

    /// The quantile of the latencies recorded since the last call, then starts a new window; `nil` when none.
    func takeQuantile(_ quantile: Double) -> Duration? {
        let taken = counts.withLock { counts in
            defer { counts = Array(repeating: 0, count: counts.count) }
            return counts
        }
        return Self.quantile(quantile, counts: taken, bounds: bounds)
    }

    /// Prometheus's `histogram_quantile`: linear interpolation inside the bucket that holds the rank.
    static func quantile(_ quantile: Double, counts: [Int], bounds: [Duration]) -> Duration? {
        let total = counts.reduce(0, +)
        guard total > 0 else { return nil }
        let rank = quantile * Double(total)
        var cumulative = 0
        for (index, count) in counts.enumerated() {
            let below = cumulative
            cumulative += count
            guard Double(cumulative) >= rank, count > 0 else { continue }
            guard index < bounds.count else { return bounds.last }
            let lower = index == 0 ? Duration.zero : bounds[index - 1]
            let fraction = (rank - Double(below)) / Double(count)
            return lower + (bounds[index] - lower) * fraction
        }
        return bounds.last
    }
}
