import Foundation

/// `--event-log`: one line per event, `seq sent_us slowest_us`, the send time counted from the first
/// send and the latency of the event's slowest delivery, both in microseconds (0 when none arrived).
///
/// A percentile says how many deliveries were late, the log says when: stalls of the host show up
/// as a few consecutive late events, a server's own pauses as a pattern of its own.
enum EventLog {
    static func write(to path: String, receipts: [(seq: Int, at: UInt64)], sentAt: [UInt64]) throws {
        guard let firstSend = sentAt.first else { return }
        var slowest = [UInt64](repeating: 0, count: sentAt.count)
        for receipt in receipts where receipt.seq < sentAt.count && receipt.at > sentAt[receipt.seq] {
            slowest[receipt.seq] = max(slowest[receipt.seq], receipt.at - sentAt[receipt.seq])
        }
        var text = ""
        for seq in sentAt.indices {
            text += "\(seq) \((max(sentAt[seq], firstSend) - firstSend) / 1_000) \(slowest[seq] / 1_000)\n"
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
}
