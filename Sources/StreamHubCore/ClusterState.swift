import NIOCore

/// What the cluster decided for one event: its id and the stream's peak, and when and where it was accepted.
public struct ClusterAssignment: Sendable {
    public let eventID: UInt64
    /// The stream's peak as the cluster's store holds it after the event.
    public let peakViewers: Int
    /// The accepting node's clock when it accepted the event; viewers on every node see this `timestamp`.
    public let wallClock: Timestamp
    /// When this node received the event (from a publisher or from Redis), for the broadcast latency.
    public let receivedAt: NIODeadline

    public init(eventID: UInt64, peakViewers: Int, wallClock: Timestamp, receivedAt: NIODeadline) {
        self.eventID = eventID
        self.peakViewers = peakViewers
        self.wallClock = wallClock
        self.receivedAt = receivedAt
    }
}

/// A stream's state as the cluster's store holds it.
public struct StoredStreamState: Sendable, Equatable {
    public let lastEventID: UInt64
    public let status: StreamStatus
    public let quality: [UInt8]?
    public let peakViewers: Int

    /// A stream the cluster has no state for.
    public static let unseen = StoredStreamState(lastEventID: 0, status: .offline, quality: nil, peakViewers: 0)

    public init(lastEventID: UInt64, status: StreamStatus, quality: [UInt8]?, peakViewers: Int) {
        self.lastEventID = lastEventID
        self.status = status
        self.quality = quality
        self.peakViewers = peakViewers
    }
}

/// A stream's viewers on this node, as reported to the others, with the peak this node has seen.
public struct LocalStreamCount: Sendable, Equatable {
    public let viewers: Int
    public let peakViewers: Int
}
