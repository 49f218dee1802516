/// The range of every numeric flag: checked at start and shown in `--help`.
enum FlagRanges {
    static let integers: [String: ClosedRange<Int>] = [
        "port": 0...65_535, "metrics-port": 0...65_535, "metrics-top-streams": 1...10_000, "max-connections": 1...10_000_000,
        "max-queued-bytes": 1024...(1 << 30), "max-connections-per-ip": 1...10_000_000, "max-connect-rate": 1...1_000_000,
        "history-size": 0...10_000,
    ]

    /// The heartbeat's timer wheel has a slot per 10 ms of its horizon: an hour is 360,000 slots per event loop.
    static let durations: [String: ClosedRange<Duration>] = [
        "ping-interval": .milliseconds(10)...hour, "pong-timeout": .milliseconds(10)...hour,
        "viewer-count-interval": .milliseconds(10)...hour, "write-timeout": .milliseconds(10)...hour,
        "stream-state-ttl": .seconds(1)...day, "history-ttl": .seconds(1)...day, "health-interval": .milliseconds(100)...hour,
        "alert-for": .zero...day,
        "alert-repeat-interval": .seconds(1)...day, "broadcast-latency-threshold": .milliseconds(1)...hour,
        "scheduling-lag-threshold": .milliseconds(1)...hour, "node-ttl": .seconds(1)...hour, "shutdown-delay": .zero...hour,
        "shutdown-grace": .milliseconds(100)...hour, "viewer-jwt-leeway": .zero...hour, "request-timeout": .milliseconds(100)...hour,
        "idle-timeout": .milliseconds(100)...day, "ingest-timeout": .seconds(1)...day,
    ]

    private static let hour = Duration.seconds(3600)
    private static let day = Duration.seconds(86_400)

    /// `"10ms to 1h"`, for `--help`; `nil` for a flag without a range.
    static func description(of flag: String) -> String? {
        if let range = integers[flag] { return "\(range.lowerBound) to \(range.upperBound)" }
        if let range = durations[flag] { return "\(text(range.lowerBound)) to \(text(range.upperBound))" }
        return nil
    }

    /// A duration as a flag would be written: `500ms`, `20s`, `1h`.
    static func text(_ duration: Duration) -> String {
        let milliseconds = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        for (unit, size) in [("h", Int64(3_600_000)), ("m", 60_000), ("s", 1000)] where milliseconds >= size && milliseconds % size == 0 {
            return "\(milliseconds / size)\(unit)"
        }
        return milliseconds == 0 ? "0s" : "\(milliseconds)ms"
    }
}
