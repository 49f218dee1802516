import NIOCore

/// The state of the streams of one ``StreamShards`` shard, as a value with pure operations.
///
/// `now` is monotonic (expiry); `wallClock` is what viewers see in `timestamp`. With a cluster
/// broker a stream's count is this node's viewers plus the other nodes' (``Entry/remoteViewers``),
/// and ids and state come from the broker through ``EventAssignment`` and ``StoredStreamState``.
struct StreamDirectory {
    struct Entry {
        var status = StreamStatus.offline
        /// Viewers on this node.
        var viewers = 0
        /// Viewers on this node by the index of their event loop; a broadcast skips loops with none.
        var viewersPerLoop: [Int] = []
        /// Viewers on the other nodes of the cluster, as last reported.
        var remoteViewers = 0
        var peakViewers = 0
        var quality: [UInt8]?
        var lastEventID: UInt64 = 0
        /// The last event, or the moment the last viewer left; drives the state TTL.
        var lastActivity: NIODeadline
        /// The count in the last `viewer_count_changed`.
        var announcedViewers = 0
        /// This node's count as last reported to the cluster.
        var reportedViewers = 0
        /// Whether the state was read from the cluster's store since this node first saw the stream.
        var synced = false
        /// New with the entry: a stream forgotten and seen again starts a new epoch.
        var epoch = StreamEpoch.random()
        var history = StreamHistory()

        init(lastActivity: NIODeadline) {
            self.lastActivity = lastActivity
        }

        /// Viewers on every node.
        var totalViewers: Int { viewers + remoteViewers }

        mutating func raisePeak() {
            peakViewers = max(peakViewers, totalViewers)
        }

        /// Takes the shared store's epoch; events held from another epoch can never be resumed.
        mutating func adopt(_ epoch: StreamEpoch) {
            guard epoch != self.epoch else { return }
            self.epoch = epoch
            history = StreamHistory()
        }
    }

    /// What a publish changed, for the answer and the broadcast.
    struct Publication {
        let eventID: UInt64
        let epoch: StreamEpoch
        let peakViewers: Int
        let viewers: Int
        /// This node's viewers of the stream by event-loop index.
        let viewersPerLoop: [Int]
    }

    /// A stream whose count differs from what its viewers were last told.
    struct CountChange: Equatable {
        let streamID: StreamID
        let viewers: Int
        let peakViewers: Int
        let lastEventID: UInt64
        let viewersPerLoop: [Int]
    }

    /// What a joining viewer is sent before live events: its `stream_state`, and on a resume the
    /// events it missed (`nil`: not recovered).
    struct Joined {
        let snapshot: StreamSnapshot
        let replay: [LazyFrame]?
    }

    /// Events kept per stream for resuming viewers; 0 keeps none.
    let historySize: Int
    /// How long a stream's history is kept after its latest event.
    let historyTTL: Duration

    private(set) var entries: [StreamID: Entry] = [:]
    private var countChanged: Set<StreamID> = []
    private var localCountChanged: Set<StreamID> = []

    /// Streams with at least one viewer on this node, kept as viewers come and go.
    private(set) var activeStreams = 0

    init(historySize: Int = 0, historyTTL: Duration = .seconds(600)) {
        self.historySize = historySize
        self.historyTTL = historyTTL
    }

    /// Runs `body` on the stream's entry in place (its history is never copied), creating it if needed.
    private mutating func withEntry<Result>(_ id: StreamID, now: NIODeadline, _ body: (inout Entry) -> Result) -> Result {
        body(&entries[id, default: Entry(lastActivity: now)])
    }

    /// Adds a viewer on the event loop of index `loop`: its `stream_state` and, resuming from
    /// `resume`, the events it missed (see ``JoinCursor``).
    mutating func join(_ id: StreamID, loop: Int, resume: ResumePoint? = nil, now: NIODeadline, wallClock: Timestamp) -> Joined {
        let ttl = historyTTL
        let (joined, first) = withEntry(id, now: now) { entry in
            let first = entry.viewers == 0
            entry.viewers += 1
            if entry.viewersPerLoop.count <= loop { entry.viewersPerLoop += repeatElement(0, count: loop + 1 - entry.viewersPerLoop.count) }
            entry.viewersPerLoop[loop] += 1
            entry.raisePeak()
            var replay: [LazyFrame]?
            if let resume {
                entry.history.expire(now: now, ttl: ttl)
                if resume.epoch == entry.epoch { replay = entry.history.events(after: resume.since, through: entry.lastEventID) }
            }
            return (Joined(snapshot: Self.snapshot(of: id, entry: entry, wallClock: wallClock), replay: replay), first)
        }
        if first { activeStreams += 1 }
        countChanged.insert(id)
        localCountChanged.insert(id)
        return joined
    }

    mutating func leave(_ id: StreamID, loop: Int, now: NIODeadline) {
        guard var entry = entries[id], entry.viewers > 0, loop < entry.viewersPerLoop.count, entry.viewersPerLoop[loop] > 0 else { return }
        entry.viewers -= 1
        entry.viewersPerLoop[loop] -= 1
        if entry.viewers == 0 { activeStreams -= 1 }
        if entry.totalViewers == 0 { entry.lastActivity = now }
        entries[id] = entry
        countChanged.insert(id)
        localCountChanged.insert(id)
    }

    /// Applies an event and keeps its frame in the stream's history; `assigned` carries the id,
    /// epoch and peak the broker gave it, `nil` numbers it here.
    mutating func publish(
        _ request: PublishRequest, to id: StreamID, now: NIODeadline, assigned: EventAssignment? = nil,
        frame: (Publication) -> LazyFrame
    ) -> (Publication, LazyFrame) {
        let capacity = historySize
        return withEntry(id, now: now) { entry in
            if let assigned { entry.adopt(assigned.epoch) }
            let eventID = assigned?.eventID ?? entry.lastEventID + 1
            entry.lastEventID = max(entry.lastEventID, eventID)
            entry.lastActivity = now
            switch request.event {
            case .streamStarted:
                entry.status = .live
                entry.peakViewers = max(entry.totalViewers, assigned?.peakViewers ?? 0)
            case .streamEnded:
                entry.status = .ended
                entry.peakViewers = max(entry.peakViewers, assigned?.peakViewers ?? 0)
            case .qualityChanged:
                entry.quality = request.dataObject
            }
            let publication = Publication(
                eventID: eventID, epoch: entry.epoch, peakViewers: entry.peakViewers, viewers: entry.viewers, viewersPerLoop: entry.viewersPerLoop)
            let encoded = frame(publication)
            entry.history.append(.init(eventID: eventID, frame: encoded), capacity: capacity, now: now)
            return (publication, encoded)
        }
    }

    /// Streams whose count changed since the last call, each with the count to announce to this node's viewers.
    mutating func takeCountChanges() -> [CountChange] {
        var changes: [CountChange] = []
        for id in countChanged {
            guard var entry = entries[id], entry.totalViewers != entry.announcedViewers else { continue }
            entry.announcedViewers = entry.totalViewers
            entries[id] = entry
            if entry.viewers > 0 {
                changes.append(
                    CountChange(
                        streamID: id, viewers: entry.totalViewers, peakViewers: entry.peakViewers, lastEventID: entry.lastEventID,
                        viewersPerLoop: entry.viewersPerLoop
                    )
                )
            }
        }
        countChanged.removeAll(keepingCapacity: true)
        return changes
    }

    // MARK: Other nodes

    /// This node's counts that changed since they were last reported (0 for a stream it no longer has viewers of).
    mutating func takeLocalCountChanges() -> [StreamID: LocalStreamCount] {
        var changes: [StreamID: LocalStreamCount] = [:]
        for id in localCountChanged {
            guard var entry = entries[id], entry.viewers != entry.reportedViewers else { continue }
            entry.reportedViewers = entry.viewers
            entries[id] = entry
            changes[id] = LocalStreamCount(viewers: entry.viewers, peakViewers: entry.peakViewers)
        }
        localCountChanged.removeAll(keepingCapacity: true)
        return changes
    }

    /// Every stream with viewers on this node.
    func localCounts() -> [StreamID: LocalStreamCount] {
        var counts: [StreamID: LocalStreamCount] = [:]
        for (id, entry) in entries where entry.viewers > 0 {
            counts[id] = LocalStreamCount(viewers: entry.viewers, peakViewers: entry.peakViewers)
        }
        return counts
    }

    /// Sets the other nodes' viewers of each stream; streams with remote viewers get an entry.
    mutating func setRemoteViewers(_ counts: [StreamID: Int], now: NIODeadline) {
        for (id, remote) in counts {
            guard var entry = entries[id] ?? (remote > 0 ? Entry(lastActivity: now) : nil), entry.remoteViewers != remote else { continue }
            entry.remoteViewers = remote
            entry.raisePeak()
            if entry.totalViewers == 0 { entry.lastActivity = now }
            entries[id] = entry
            countChanged.insert(id)
        }
    }

    /// Takes the shared store's state where it is at least as new as this node's, its epoch, and
    /// the history events it read (`history`, oldest first) that this node lacks.
    ///
    /// A stream the store has not seen gets no entry here: a request for an unknown id costs nothing to keep.
    mutating func merge(_ stored: StoredStreamState, history: [StreamHistory.Event] = [], into id: StreamID, now: NIODeadline) {
        guard entries[id] != nil || stored != .unseen else { return }
        let capacity = historySize
        withEntry(id, now: now) { entry in
            if let epoch = stored.epoch { entry.adopt(epoch) }
            if stored.lastEventID >= entry.lastEventID {
                entry.lastEventID = stored.lastEventID
                entry.status = stored.status
                entry.quality = stored.quality
            }
            entry.peakViewers = max(entry.peakViewers, stored.peakViewers)
            // A store that gives no epoch yet is read again when a viewer joins, which gives one.
            entry.synced = stored.epoch != nil
            if !history.isEmpty { entry.history.prepend(history, latest: entry.lastEventID, capacity: capacity, now: now) }
        }
    }

    /// Whether a viewer resuming from `resume` would be recovered from what this node holds.
    func canResume(_ id: StreamID, from resume: ResumePoint, now: NIODeadline) -> Bool {
        guard let entry = entries[id], resume.epoch == entry.epoch else { return false }
        var history = entry.history
        history.expire(now: now, ttl: historyTTL)
        return history.events(after: resume.since, through: entry.lastEventID) != nil
    }

    /// Whether the shared store may hold what a viewer resuming from `resume` missed: not when this
    /// node read the stream's epoch from it and the viewer names another.
    func storeMayResume(_ id: StreamID, from resume: ResumePoint) -> Bool {
        guard let entry = entries[id], entry.synced else { return true }
        return resume.epoch == entry.epoch
    }

    /// Whether `id` is known here and its state was read from the shared store.
    func isSynced(_ id: StreamID) -> Bool { entries[id]?.synced ?? false }

    /// Streams known here, to re-read from the shared store after the link was down.
    mutating func markAllUnsynced() -> [StreamID] {
        for id in entries.keys { entries[id]?.synced = false }
        return Array(entries.keys)
    }

    // MARK: Reading

    /// Forgets streams with no viewers and no event for `ttl`, and histories past ``historyTTL``; returns how many streams.
    mutating func forgetIdle(now: NIODeadline, ttl: Duration) -> Int {
        let cutoff = now - TimeAmount(ttl)
        var kept: [StreamID: Entry] = [:]
        kept.reserveCapacity(entries.count)
        for (id, var entry) in entries where entry.totalViewers > 0 || entry.lastActivity > cutoff {
            entry.history.expire(now: now, ttl: historyTTL)
            kept[id] = entry
        }
        let forgotten = entries.count - kept.count
        entries = kept
        return forgotten
    }

    func snapshot(of id: StreamID, wallClock: Timestamp) -> StreamSnapshot {
        Self.snapshot(of: id, entry: entries[id], wallClock: wallClock)
    }

    /// Each stream with viewers on this node and their number.
    func viewerCounts() -> [(StreamID, Int)] {
        var counts: [(StreamID, Int)] = []
        counts.reserveCapacity(entries.count)
        for (id, entry) in entries where entry.viewers > 0 { counts.append((id, entry.viewers)) }
        return counts
    }

    /// Streams with viewers anywhere, busiest first (ties by id).
    func busiest(limit: Int, wallClock: Timestamp) -> [StreamSnapshot] {
        entries.filter { $0.value.totalViewers > 0 }
            .sorted { Self.busier($0.value.totalViewers, $0.key, than: $1.value.totalViewers, $1.key) }
            .prefix(limit)
            .map { Self.snapshot(of: $0.key, entry: $0.value, wallClock: wallClock) }
    }

    /// The order of ``busiest(limit:wallClock:)``: more viewers first, then by id.
    static func busier(_ viewers: Int, _ id: StreamID, than otherViewers: Int, _ otherID: StreamID) -> Bool {
        (viewers, otherID.rawValue) > (otherViewers, id.rawValue)
    }

    /// A stream this node holds nothing of gets a new epoch each time: it has no events to resume.
    private static func snapshot(of id: StreamID, entry: Entry?, wallClock: Timestamp) -> StreamSnapshot {
        StreamSnapshot(
            streamID: id,
            status: entry?.status ?? .offline,
            viewerCount: entry?.totalViewers ?? 0,
            peakViewers: entry?.peakViewers ?? 0,
            quality: entry?.quality,
            lastEventID: entry?.lastEventID ?? 0,
            epoch: entry?.epoch ?? .random(),
            timestamp: wallClock
        )
    }
}
