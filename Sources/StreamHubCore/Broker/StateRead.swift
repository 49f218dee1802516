/// Why the hub reads a stream's state from the store the nodes share.
public enum StateRead: Sendable, Hashable {
    /// A request for the state (`GET`): the store creates and renews nothing.
    case lookup
    /// A viewer joins, or the node re-reads a stream it holds: the store gives the stream an epoch
    /// if it has none, so every node tells its viewers the same one.
    case join
    /// A viewer resumes from further back than this node's history reaches: ``join`` plus the
    /// stream's history.
    case resume
}
