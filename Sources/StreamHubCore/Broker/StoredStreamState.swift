/// A stream's state as the store the nodes share holds it.
public struct StoredStreamState: Sendable, Equatable {
    public let lastEventID: UInt64
    public let status: StreamStatus
    public let quality: [UInt8]?
    public let peakViewers: Int

    /// A stream the store has no state for.
    public static let unseen = StoredStreamState(lastEventID: 0, status: .offline, quality: nil, peakViewers: 0)

    public init(lastEventID: UInt64, status: StreamStatus, quality: [UInt8]?, peakViewers: Int) {
        self.lastEventID = lastEventID
        self.status = status
        self.quality = quality
        self.peakViewers = peakViewers
    }
}
