/// What a broker decided for one event: its id, the stream's peak, and the accepting node's clock.
public struct EventAssignment: Sendable {
    public let eventID: UInt64
    /// The stream's peak as the shared store holds it after the event.
    public let peakViewers: Int
    /// The accepting node's clock when it accepted the event; viewers on every node see this `timestamp`.
    public let wallClock: Timestamp

    public init(eventID: UInt64, peakViewers: Int, wallClock: Timestamp) {
        self.eventID = eventID
        self.peakViewers = peakViewers
        self.wallClock = wallClock
    }
}
