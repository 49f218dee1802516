import StreamHubCore

/// The live streams whose media server has sent a liveness update, by when it sent the last one.
///
/// A stream enters with its first update, not its publish (SRS and an nginx-rtmp without
/// `on_update` send none), and leaves with its end, a new publish, or its timeout.
struct IngestLiveness {
    private var lastUpdate: [StreamID: (server: IngestServer, at: ContinuousClock.Instant)] = [:]

    var count: Int { lastUpdate.count }

    mutating func updated(_ streamID: StreamID, by server: IngestServer, at now: ContinuousClock.Instant) {
        lastUpdate[streamID] = (server, now)
    }

    /// A publish starts a session that has sent no update yet; an end closes it.
    mutating func forget(_ streamID: StreamID) {
        lastUpdate[streamID] = nil
    }

    /// Removes and returns the streams not updated within `timeout` of `now`.
    mutating func takeSilent(for timeout: Duration, at now: ContinuousClock.Instant) -> [(StreamID, IngestServer)] {
        let silent = lastUpdate.filter { now - $0.value.at >= timeout }
        for streamID in silent.keys { lastUpdate[streamID] = nil }
        return silent.map { ($0.key, $0.value.server) }
    }
}
