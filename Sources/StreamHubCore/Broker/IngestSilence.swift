/// What the nodes' shared record says of a stream whose media server this node last heard from
/// longer ago than the ingest timeout (its updates may have gone to other nodes).
public enum IngestSilence: Sendable, Equatable {
    /// Another node heard from the media server since: silent in `remaining` unless one hears again.
    case alive(remaining: Duration)
    /// Silent for every node: this node is the one to end the stream, or no record says otherwise.
    case silent
    /// The stream was ended, by timeout or by its media server, or started anew since: nothing to do.
    case ended
}
