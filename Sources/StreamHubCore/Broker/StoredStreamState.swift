/// A stream's state as the store the nodes share holds it.
public struct StoredStreamState: Sendable, Equatable {
    public let lastEventID: UInt64
    public let status: StreamStatus
    public let quality: [UInt8]?
    public let peakViewers: Int
    /// `nil` when the store has none yet (it gives one when a viewer joins or an event is published).
    public let epoch: StreamEpoch?
    /// The stream's last events, oldest first, when they were asked for.
    public let history: [StoredEvent]

    /// A stream the store has no state for.
    public static let unseen = StoredStreamState(lastEventID: 0, status: .offline, quality: nil, peakViewers: 0)

    public init(
        lastEventID: UInt64, status: StreamStatus, quality: [UInt8]?, peakViewers: Int, epoch: StreamEpoch? = nil, history: [StoredEvent] = []
    ) {
        self.lastEventID = lastEventID
        self.status = status
        self.quality = quality
        self.peakViewers = peakViewers
        self.epoch = epoch
        self.history = history
    }
}

/// An event as the shared store keeps it in a stream's history.
public struct StoredEvent: Sendable, Equatable {
    public let request: PublishRequest
    public let assignment: EventAssignment

    public init(request: PublishRequest, assignment: EventAssignment) {
        self.request = request
        self.assignment = assignment
    }
}
