import NIOCore

/// Every stream's state on this node, as a value with pure operations; ``Hub`` holds it under a lock.
///
/// `now` is monotonic (expiry); `wallClock` is what viewers see in `timestamp`.
struct StreamDirectory {
    struct Entry {
        var status = StreamStatus.offline
        var viewers = 0
        var peakViewers = 0
        var quality: [UInt8]?
        var lastEventID: UInt64 = 0
        /// The last event, or the moment the last viewer left; drives the state TTL.
        var lastActivity: NIODeadline
        /// The count in the last `viewer_count_changed`.
        var announcedViewers = 0
    }

    /// What a publish changed, for the answer and the broadcast.
    struct Publication {
        let eventID: UInt64
        let peakViewers: Int
        let viewers: Int
    }

    /// A stream whose count differs from what its viewers were last told.
    struct CountChange: Equatable {
        let streamID: StreamID
        let viewers: Int
        let peakViewers: Int
        let lastEventID: UInt64
    }

    private(set) var entries: [StreamID: Entry] = [:]
    private var countChanged: Set<StreamID> = []

    /// Streams with at least one viewer.
    var activeStreams: Int { entries.values.lazy.filter { $0.viewers > 0 }.count }

    mutating func join(_ id: StreamID, now: NIODeadline, wallClock: Timestamp) -> StreamSnapshot {
        var entry = entries[id] ?? Entry(lastActivity: now)
        entry.viewers += 1
        entry.peakViewers = max(entry.peakViewers, entry.viewers)
        entries[id] = entry
        countChanged.insert(id)
        return snapshot(of: id, entry: entry, wallClock: wallClock)
    }

    mutating func leave(_ id: StreamID, now: NIODeadline) {
        guard var entry = entries[id], entry.viewers > 0 else { return }
        entry.viewers -= 1
        if entry.viewers == 0 { entry.lastActivity = now }
        entries[id] = entry
        countChanged.insert(id)
    }

    mutating func publish(_ request: PublishRequest, to id: StreamID, now: NIODeadline) -> Publication {
        var entry = entries[id] ?? Entry(lastActivity: now)
        entry.lastEventID += 1
        entry.lastActivity = now
        switch request.event {
        case .streamStarted:
            entry.status = .live
            entry.peakViewers = entry.viewers
        case .streamEnded:
            entry.status = .ended
        case .qualityChanged:
            var writer = JSONWriter()
            writer.beginObject()
            writer.members(request.members)
            writer.endObject()
            entry.quality = writer.bytes
        }
        entries[id] = entry
        return Publication(eventID: entry.lastEventID, peakViewers: entry.peakViewers, viewers: entry.viewers)
    }

    /// Streams whose count changed since the last call, each with the count to announce.
    mutating func takeCountChanges() -> [CountChange] {
        var changes: [CountChange] = []
        for id in countChanged {
            guard var entry = entries[id], entry.viewers != entry.announcedViewers else { continue }
            entry.announcedViewers = entry.viewers
            entries[id] = entry
            if entry.viewers > 0 {
                changes.append(
                    CountChange(streamID: id, viewers: entry.viewers, peakViewers: entry.peakViewers, lastEventID: entry.lastEventID)
                )
            }
        }
        countChanged.removeAll(keepingCapacity: true)
        return changes
    }

    /// Forgets streams with no viewers and no event for `ttl`; returns how many.
    mutating func forgetIdle(now: NIODeadline, ttl: Duration) -> Int {
        let cutoff = now - TimeAmount(ttl)
        let before = entries.count
        entries = entries.filter { $0.value.viewers > 0 || $0.value.lastActivity > cutoff }
        return before - entries.count
    }

    func snapshot(of id: StreamID, wallClock: Timestamp) -> StreamSnapshot {
        snapshot(of: id, entry: entries[id], wallClock: wallClock)
    }

    func viewerCounts() -> [(StreamID, Int)] {
        var counts: [(StreamID, Int)] = []
        counts.reserveCapacity(entries.count)
        for (id, entry) in entries where entry.viewers > 0 { counts.append((id, entry.viewers)) }
        return counts
    }

    /// Streams with viewers, busiest first.
    func busiest(limit: Int, wallClock: Timestamp) -> [StreamSnapshot] {
        entries.filter { $0.value.viewers > 0 }
            .sorted { ($0.value.viewers, $1.key.rawValue) > ($1.value.viewers, $0.key.rawValue) }
            .prefix(limit)
            .map { snapshot(of: $0.key, entry: $0.value, wallClock: wallClock) }
    }

    private func snapshot(of id: StreamID, entry: Entry?, wallClock: Timestamp) -> StreamSnapshot {
        StreamSnapshot(
            streamID: id,
            status: entry?.status ?? .offline,
            viewerCount: entry?.viewers ?? 0,
            peakViewers: entry?.peakViewers ?? 0,
            quality: entry?.quality,
            lastEventID: entry?.lastEventID ?? 0,
            timestamp: wallClock
        )
    }
}
