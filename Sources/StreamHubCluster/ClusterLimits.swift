/// The ranges a value read from Redis must fall in; anything outside drops its message.
///
/// Redis is shared by every node, whatever its version, and by anyone with access to it: its
/// values are untrusted input.
enum ClusterLimits {
    /// The most viewers a node may report for one stream, or a stream's peak.
    static let maxViewers: Int64 = 10_000_000
    /// The largest event id: 2^53 − 1, the largest integer a browser's JSON reads exactly.
    static let maxEventID: Int64 = (1 << 53) - 1
    /// How far from this node's clock an event's acceptance time may be.
    static let maxClockSkewNanos: Int64 = 86_400 * 1_000_000_000
}
