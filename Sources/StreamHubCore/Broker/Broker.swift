import NIOCore
import ServiceLifecycle

/// Everything that crosses nodes: numbering and storing a published event, reading a stream's
/// stored state, and sharing viewer counts.
///
/// The ``Hub`` owns every call; routes and handlers never ask which broker they have.
/// ``LocalBroker`` is a single node; the Redis cluster (`StreamHubCluster`) is the other
/// implementation. A broker runs as a service (its connections and timers) and hands what the
/// other nodes send to the hub through the ``BrokerContext`` it is attached to.
public protocol Broker: Service {
    /// Called once by ``Hub/init(configuration:eventLoopGroup:broker:logger:observer:)``, before any other call.
    func attach(_ context: BrokerContext)

    /// Numbers `request` and shares it with the other nodes, or says to number it on this node.
    /// - Parameter local: Reads this node's state of the stream before the event, for a broker that
    ///   needs it: its latest id (ids never go back, even after events numbered here) and its viewer
    ///   count (for the peak). A single node never reads it.
    func accept(_ request: PublishRequest, to streamID: StreamID, local: () -> StreamSnapshot) -> Acceptance

    /// Reads the stream's state from the store the nodes share; `nil` when there is none to read
    /// (a single node, or the store unreachable). The future may fail; the hub then keeps its own.
    func readState(of streamID: StreamID, for purpose: StateRead) -> EventLoopFuture<StoredStreamState>?

    /// `nil` on a single node; otherwise whether this node reaches the others.
    var isLinkUp: Bool? { get }

    /// Notes for every node that the media server of `streamID` sent a liveness update: without
    /// another, it falls silent after `timeout`.
    func recordIngestAlive(_ streamID: StreamID, timeout: Duration)

    /// Notes for every node that the stream ended or started anew: liveness updates from before no longer count.
    func recordIngestEnded(_ streamID: StreamID, timeout: Duration)

    /// Asked by a node whose own record of the stream fell silent: whether another node heard
    /// since, and if none did, lets exactly one node end the stream. `nil` when there is no shared
    /// record (a single node, or the store unreachable): the node's own record decides.
    func checkIngestSilence(of streamID: StreamID, timeout: Duration) -> EventLoopFuture<IngestSilence>?
}

/// How a broker takes a published event.
public enum Acceptance: Sendable {
    /// Number the event on this node; `reach` is what the publisher is told.
    case numberHere(reach: PublishReach)
    /// The broker numbers the event and shares it. The future completes with what it assigned, in
    /// the order the broker numbered the events, or with `nil` when it could not: the event is then
    /// numbered here and reaches this node's viewers only (``PublishReach/localOnly``).
    case numbered(EventLoopFuture<EventAssignment?>)
}

/// How far an accepted event went: the `cluster` field of the publish answer.
public enum PublishReach: String, Sendable {
    /// A single node: there is no cluster.
    case disabled
    /// Numbered by the shared store and sent to every node.
    case published
    /// The store was unreachable: numbered here and delivered to this node's viewers only.
    case localOnly = "local_only"
}
