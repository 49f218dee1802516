/// What a broker decided for one event: its id, the stream's epoch and peak, and the accepting node's clock.
public struct EventAssignment: Sendable, Equatable {
    public let eventID: UInt64
    /// The stream's epoch in the shared store; a node holding another starts afresh with this one.
    public let epoch: StreamEpoch
    /// The stream's peak as the shared store holds it after the event.
    public let peakViewers: Int
    /// The accepting node's clock when it accepted the event; viewers on every node see this `timestamp`.
    public let wallClock: Timestamp

    public init(eventID: UInt64, epoch: StreamEpoch, peakViewers: Int, wallClock: Timestamp) {
        self.eventID = eventID
        self.epoch = epoch
        self.peakViewers = peakViewers
        self.wallClock = wallClock
    }
}
