import NIOCore
import StreamHubCore

/// The other nodes' viewers per stream, each node forgotten when not heard from within the TTL.
struct ClusterCounts {
    private struct Node {
        var heardAt: NIODeadline
        var counts: [StreamID: Int]
    }

    private var nodes: [String: Node] = [:]

    /// Nodes heard from within the TTL (after the last ``expire(now:ttl:)``), this one not included.
    var liveNodes: Int { nodes.count }

    /// Applies a report; returns the streams whose remote totals may have changed.
    mutating func apply(_ report: CountReport, at now: NIODeadline) -> Set<StreamID> {
        if report.leaving {
            guard let node = nodes.removeValue(forKey: report.sender.node) else { return [] }
            return Set(node.counts.keys)
        }
        var node = nodes[report.sender.node] ?? Node(heardAt: now, counts: [:])
        node.heardAt = now
        var touched = Set(report.counts.keys)
        if report.full {
            touched.formUnion(node.counts.keys)
            node.counts = report.counts.filter { $0.value > 0 }
        } else {
            for (id, count) in report.counts { node.counts[id] = count > 0 ? count : nil }
        }
        nodes[report.sender.node] = node
        return touched
    }

    /// Forgets nodes not heard from within `ttl`; returns them and the streams they had viewers of.
    mutating func expire(now: NIODeadline, ttl: Duration) -> (nodes: [String], streams: Set<StreamID>) {
        let cutoff = now - TimeAmount(ttl)
        var expired: [String] = []
        var streams: Set<StreamID> = []
        for (name, node) in nodes where node.heardAt < cutoff {
            expired.append(name)
            streams.formUnion(node.counts.keys)
        }
        for name in expired { nodes[name] = nil }
        return (expired, streams)
    }

    /// The other nodes' viewers of each stream.
    func remoteViewers(of streams: Set<StreamID>) -> [StreamID: Int] {
        var totals: [StreamID: Int] = [:]
        totals.reserveCapacity(streams.count)
        // Each count is at most ClusterLimits.maxViewers; the sum saturates all the same, with room
        // left for this node's own viewers.
        for id in streams {
            totals[id] = nodes.values.reduce(0) { total, node in min(Int.max / 2, total + min(Int.max / 2, node.counts[id] ?? 0)) }
        }
        return totals
    }
}
