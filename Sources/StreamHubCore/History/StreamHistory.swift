import NIOCore

/// A stream's last events, as the frames its viewers were sent, for viewers that resume.
///
/// At most `capacity` events, held for `ttl` after the latest; appending is O(1). The ids are
/// increasing but may skip (an event numbered by another node while the cluster's store was down
/// never reaches this one).
struct StreamHistory {
    struct Event {
        let eventID: UInt64
        let frame: LazyFrame
    }

    private(set) var events = CircularBuffer<Event>()
    /// When the latest event was added; the window expires `ttl` after it.
    private var latestAt: NIODeadline?

    /// Keeps `event`, dropping the oldest beyond `capacity`; an event held already (read from the
    /// store before it arrived here) is not kept twice.
    mutating func append(_ event: Event, capacity: Int, now: NIODeadline) {
        guard capacity > 0, event.eventID > events.last?.eventID ?? 0 else { return }
        if events.count >= capacity { events.removeFirst(events.count - capacity + 1) }
        events.append(event)
        latestAt = now
    }

    /// Drops everything once `ttl` has passed since the latest event.
    mutating func expire(now: NIODeadline, ttl: Duration) {
        guard let latestAt, now - latestAt > TimeAmount(ttl) else { return }
        self = StreamHistory()
    }

    /// The events after `since` through `latest`, when the window still holds every one of them;
    /// `nil` when it does not reach back that far.
    func events(after since: UInt64, through latest: UInt64) -> [LazyFrame]? {
        guard since < latest else { return since == latest ? [] : nil }
        guard let oldest = events.first, oldest.eventID <= since + 1 else { return nil }
        return events.lazy.filter { $0.eventID > since && $0.eventID <= latest }.map(\.frame)
    }

    /// Puts events read from elsewhere (the cluster's store, oldest first) ahead of those held when
    /// they join up with them (or, with none held, reach `latest`); later ones are still on their way.
    mutating func prepend(_ older: [Event], latest: UInt64, capacity: Int, now: NIODeadline) {
        let held = events.first?.eventID ?? latest + 1
        guard let newest = older.last(where: { $0.eventID < held })?.eventID, newest + 1 >= held else { return }
        var merged = CircularBuffer<Event>(initialCapacity: capacity)
        for event in older where event.eventID < held { merged.append(event) }
        merged.append(contentsOf: events)
        if merged.count > capacity { merged.removeFirst(merged.count - capacity) }
        events = merged
        if latestAt == nil { latestAt = now }
    }
}
