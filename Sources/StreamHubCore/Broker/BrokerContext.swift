import NIOCore

/// What a ``Broker`` may do to the hub it is attached to: apply the events other nodes accepted,
/// take in their viewer counts, and read this node's.
///
/// Any thread may call it. It is the hub's only door for what crosses nodes, so ``Hub``'s own API
/// stays the same on one node and in a cluster.
public final class BrokerContext: Sendable {
    private unowned let hub: Hub

    init(hub: Hub) {
        self.hub = hub
    }

    /// Applies an event another node accepted and broadcasts it to this node's viewers of the stream.
    /// - Parameter receivedAt: When this node received it, for the broadcast latency.
    public func apply(_ request: PublishRequest, to streamID: StreamID, assigned: EventAssignment, receivedAt: NIODeadline) {
        hub.apply(request, to: streamID, numbered: assigned, receivedAt: receivedAt)
    }

    /// Sets the viewers the other nodes report for each stream; totals and peaks follow.
    public func setRemoteViewers(_ counts: [StreamID: Int]) {
        hub.directory.setRemoteViewers(counts)
    }

    /// This node's per-stream counts that changed since the last call.
    public func takeLocalCountChanges() -> [StreamID: LocalStreamCount] {
        hub.directory.takeLocalCountChanges()
    }

    /// Every stream with viewers on this node.
    public func localCounts() -> [StreamID: LocalStreamCount] {
        hub.directory.localCounts()
    }

    /// The shared store is reachable again: every stream this node knows is read from it anew.
    public func storeReconnected() {
        hub.reloadAllStates()
    }
}
