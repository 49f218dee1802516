import NIOCore

/// The viewers of one event loop by when their heartbeat is next due, in slots of one sweep tick.
///
/// Each tick touches only the viewers of the slots that came due, so a sweep costs the pings it
/// sends, not the number of viewers, and a publish never waits behind a walk over every viewer.
/// A viewer sits in exactly one slot and moves only on its own turn; a closed viewer is dropped
/// when its slot comes up.
struct HeartbeatWheel {
    private var slots: [ContiguousArray<ViewerHandler>]
    private let tick: TimeAmount
    private let origin: NIODeadline
    /// The last slot processed, counted in ticks since `origin`.
    private var processed: Int64

    /// - Parameters:
    ///   - tick: The time between two calls of ``advance(to:)``.
    ///   - horizon: The furthest a viewer's next heartbeat can be from now.
    init(tick: TimeAmount, horizon: TimeAmount, now: NIODeadline) {
        self.tick = .nanoseconds(max(1, tick.nanoseconds))
        let count = Int(horizon.nanoseconds / self.tick.nanoseconds) + 2
        self.slots = Array(repeating: [], count: count)
        self.origin = now
        self.processed = 0
    }

    /// Puts `viewer` in the slot of its next heartbeat, or the next slot to come when that is past.
    mutating func insert(_ viewer: ViewerHandler) {
        let due = max(ticks(at: viewer.heartbeatDue), processed + 1)
        slots[Int(due % Int64(slots.count))].append(viewer)
    }

    /// Runs the heartbeat of every viewer in the slots up to `now` and files each one again.
    mutating func advance(to now: NIODeadline) {
        let target = ticks(at: now)
        // After a long stall, one pass over every slot is enough.
        var next = max(processed + 1, target - Int64(slots.count) + 1)
        while next <= target {
            let index = Int(next % Int64(slots.count))
            let due = slots[index]
            slots[index] = []
            processed = next
            for viewer in due where viewer.isOpen {
                viewer.heartbeatTick(now: now)
                if viewer.isOpen { insert(viewer) }
            }
            next += 1
        }
    }

    private func ticks(at deadline: NIODeadline) -> Int64 {
        guard deadline > origin else { return 0 }
        return (deadline - origin).nanoseconds / tick.nanoseconds
    }
}
