import Foundation
import Histogram

/// What one run measured, as a table for people and one JSON line for scripts.
struct BenchResult {
    let label: String
    let preset: String
    let scenario: Scenario
    var connected = 0
    var connectFailures: [String] = []
    var connectSeconds = 0.0
    var bytesPerViewer: Double?
    var expectedDeliveries = 0
    var deliveries = 0
    var publishFailures: [String] = []
    var latency: (p50: Double, p90: Double, p99: Double, p999: Double, max: Double)?
    var deliveriesPerSecond: Double?
    var cpuMicrosecondsPerDelivery: Double?
    var countMessages: (max: Int, mean: Double)?
    var resume: ResumeSummary?

    mutating func record(receipts: [(seq: Int, at: UInt64)], sentAt: [UInt64]) {
        deliveries = receipts.count
        guard !receipts.isEmpty, let firstSend = sentAt.first else { return }
        var histogram = Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
        var last: UInt64 = 0
        for receipt in receipts where receipt.seq < sentAt.count {
            let sent = sentAt[receipt.seq]
            _ = histogram.record(receipt.at > sent ? (receipt.at - sent) / 1_000 : 0)
            last = max(last, receipt.at)
        }
        func ms(_ percentile: Double) -> Double { Double(histogram.valueAtPercentile(percentile)) / 1_000 }
        latency = (ms(50), ms(90), ms(99), ms(99.9), Double(histogram.max) / 1_000)
        if last > firstSend { deliveriesPerSecond = Double(receipts.count) / (Double(last - firstSend) / 1e9) }
    }

    mutating func record(viewers: [ViewerSummary]) {
        guard !viewers.isEmpty else { return }
        let counts = viewers.map(\.countMessages)
        countMessages = (counts.max() ?? 0, Double(counts.reduce(0, +)) / Double(counts.count))
    }

    var missing: Int { max(0, expectedDeliveries - deliveries) }

    var table: String {
        func f(_ value: Double?, _ digits: Int = 1) -> String { value.map { String(format: "%.\(digits)f", $0) } ?? "-" }
        var lines = [
            "\(label) · \(preset): \(scenario.viewers) viewers over \(scenario.streams) streams, \(scenario.events) events at \(f(scenario.eventRate, 0))/s",
            "  connected            \(connected) in \(f(connectSeconds, 2)) s"
                + (connectFailures.isEmpty ? "" : " (failed: \(connectFailures.prefix(3).joined(separator: "; ")))"),
            "  memory per viewer    \(bytesPerViewer.map { String(format: "%.0f B (%.2f KiB)", $0, $0 / 1024) } ?? "-")",
        ]
        if scenario.events > 0, resume == nil {
            lines += [
                "  deliveries           \(deliveries) of \(expectedDeliveries) (missing \(missing)); publish failures \(publishFailures.count)",
                "  latency ms           p50 \(f(latency?.p50, 2))  p90 \(f(latency?.p90, 2))  p99 \(f(latency?.p99, 2))  p99.9 \(f(latency?.p999, 2))  max \(f(latency?.max, 2))",
                "  deliveries/s         \(f(deliveriesPerSecond, 0))",
                "  server CPU/delivery  \(f(cpuMicrosecondsPerDelivery, 2)) µs",
            ]
        }
        if let resume {
            lines += [
                "  resumed              \(resume.recovered) recovered, \(resume.complete) got every missed event",
                "  upgrade → last replayed ms  p50 \(f(resume.p50 * 1000, 2))  p99 \(f(resume.p99 * 1000, 2))  max \(f(resume.max * 1000, 2))",
            ]
        }
        lines.append("  viewer_count_changed per viewer: max \(countMessages.map { "\($0.max)" } ?? "-"), mean \(f(countMessages?.mean, 2))")
        return lines.joined(separator: "\n")
    }

    var json: String {
        var object: [String: Any] = [
            "label": label, "preset": preset, "viewers": scenario.viewers, "streams": scenario.streams, "events": scenario.events,
            "rate": scenario.eventRate, "connected": connected, "connect_failures": connectFailures.count, "connect_seconds": connectSeconds,
            "expected_deliveries": expectedDeliveries, "deliveries": deliveries, "missing": missing, "publish_failures": publishFailures.count,
        ]
        if let bytesPerViewer { object["bytes_per_viewer"] = bytesPerViewer }
        if let latency {
            object["latency_ms"] = ["p50": latency.p50, "p90": latency.p90, "p99": latency.p99, "p99_9": latency.p999, "max": latency.max]
        }
        if let deliveriesPerSecond { object["deliveries_per_second"] = deliveriesPerSecond }
        if let cpuMicrosecondsPerDelivery { object["cpu_us_per_delivery"] = cpuMicrosecondsPerDelivery }
        if let countMessages {
            object["count_messages_max"] = countMessages.max
            object["count_messages_mean"] = countMessages.mean
        }
        if let resume {
            object["resume"] = [
                "recovered": resume.recovered, "complete": resume.complete, "replay_p50_ms": resume.p50 * 1000, "replay_p99_ms": resume.p99 * 1000,
                "replay_max_ms": resume.max * 1000,
            ]
        }
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}
