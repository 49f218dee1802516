/// A stream's viewers on this node, as reported to the others, with the peak this node has seen.
public struct LocalStreamCount: Sendable, Equatable {
    public let viewers: Int
    public let peakViewers: Int
}
