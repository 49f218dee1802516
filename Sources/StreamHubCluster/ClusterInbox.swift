import Logging
import NIOCore
import Prometheus
import StreamHubCore
import Synchronization

/// What a node receives from the others: events for its viewers and their viewer counts.
///
/// Messages arrive one at a time on the subscriber connection's event loop. Anything that is not a
/// well-formed message is dropped, logged and counted, never forwarded to viewers.
final class ClusterInbox: Sendable {
    let me: ClusterSender
    private let hub: AttachedHub
    private let store: ClusterStore
    private let metrics: ClusterMetrics
    private let logger: Logger
    private let counts = Mutex(ClusterCounts())

    init(me: ClusterSender, hub: AttachedHub, store: ClusterStore, metrics: ClusterMetrics, logger: Logger) {
        self.me = me
        self.hub = hub
        self.store = store
        self.metrics = metrics
        self.logger = logger
    }

    func receive(channel: String, payload: [UInt8]) {
        do throws(ClusterMessageError) {
            switch channel {
            case store.eventsChannel: try receiveEvent(payload)
            case store.countsChannel: try receiveReport(payload)
            default: throw .invalid("channel \(channel)")
            }
        } catch {
            metrics.dropped.increment()
            logger.warning(
                "Dropped a malformed cluster message", metadata: ["channel": "\(channel)", "bytes": "\(payload.count)", "error": "\(error)"])
        }
    }

    private func receiveEvent(_ payload: [UInt8]) throws(ClusterMessageError) {
        let receivedAt = NIODeadline.now()
        let envelope = try EventEnvelope(decoding: payload)
        guard isFromAnotherNode(envelope.sender) else { return }  // Delivered here when Redis answered the publish.
        metrics.received.increment()
        metrics.lag.record(.nanoseconds(max(0, Timestamp.nanosecondsSince1970() - envelope.acceptedAtNanos)))
        hub.context?.apply(
            envelope.request, to: envelope.streamID,
            assigned: envelope.assignment,
            receivedAt: receivedAt
        )
    }

    private func receiveReport(_ payload: [UInt8]) throws(ClusterMessageError) {
        let report = try CountReport(decoding: payload)
        guard isFromAnotherNode(report.sender) else { return }
        metrics.received.increment()
        counts.withLock { counts in
            let touched = counts.apply(report, at: .now())
            // Under the counts lock, so totals reach the hub in the order the reports were applied.
            hub.context?.setRemoteViewers(counts.remoteViewers(of: touched))
            metrics.nodes.set(Int64(counts.liveNodes + 1))
        }
    }

    /// Forgets nodes not heard from within `ttl`, taking their viewers out of every total.
    func expireNodes(ttl: Duration) {
        let expired = counts.withLock { counts in
            let expired = counts.expire(now: .now(), ttl: ttl)
            hub.context?.setRemoteViewers(counts.remoteViewers(of: expired.streams))
            metrics.nodes.set(Int64(counts.liveNodes + 1))
            return expired.nodes
        }
        for node in expired {
            logger.warning("Node not heard from within the node TTL; its viewers no longer count", metadata: ["node": "\(node)"])
        }
    }

    private func isFromAnotherNode(_ sender: ClusterSender) -> Bool {
        if sender == me { return false }
        if sender.node == me.node {
            logger.error("Another process uses this node's --node-id; give every node its own", metadata: ["node": "\(me.node)"])
        }
        return true
    }
}
