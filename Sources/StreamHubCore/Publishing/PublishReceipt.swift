/// What the publisher is told about an accepted event.
public struct PublishReceipt: Sendable {
    public let streamID: StreamID
    public let eventID: UInt64
    public let epoch: StreamEpoch
    public let timestamp: Timestamp
    /// The stream's viewers on this node when the event was accepted.
    public let viewersLocal: Int
    public let reach: PublishReach
}
