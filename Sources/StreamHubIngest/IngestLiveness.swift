import StreamHubCore

/// The live streams whose media server has sent a liveness update, by when it sent the last one.
///
/// A stream enters with its first update, not its publish (SRS and an nginx-rtmp without
/// `on_update` send none), and leaves with its end, a new publish, or its timeout.
struct IngestLiveness {
    struct Silent {
        let streamID: StreamID
        let server: IngestServer
        let lastUpdate: ContinuousClock.Instant
    }

    private var lastUpdate: [StreamID: (server: IngestServer, at: ContinuousClock.Instant)] = [:]

    mutating func updated(_ streamID: StreamID, by server: IngestServer, at now: ContinuousClock.Instant) {
        lastUpdate[streamID] = (server, now)
    }

    /// A publish starts a session that has sent no update yet; an end closes it.
    mutating func forget(_ streamID: StreamID) {
        lastUpdate[streamID] = nil
    }

    /// The streams not updated within `timeout` of `now`; they stay until ``settle(_:at:)``.
    func silent(for timeout: Duration, at now: ContinuousClock.Instant) -> [Silent] {
        lastUpdate.compactMap { streamID, entry in
            now - entry.at >= timeout ? Silent(streamID: streamID, server: entry.server, lastUpdate: entry.at) : nil
        }
    }

    /// Settles a silent stream unless an update or a publish came since it was found silent:
    /// `rearmedAt` keeps watching it as if last updated then, `nil` forgets it. Says whether it did.
    mutating func settle(_ silent: Silent, rearmedAt: ContinuousClock.Instant?) -> Bool {
        guard lastUpdate[silent.streamID]?.at == silent.lastUpdate else { return false }
        lastUpdate[silent.streamID] = rearmedAt.map { (silent.server, $0) }
        return true
    }
}
