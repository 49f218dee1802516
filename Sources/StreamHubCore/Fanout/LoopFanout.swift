import NIOCore
import Synchronization

/// The viewers of one event loop and the deliveries queued for them.
///
/// Any thread may ``enqueue(_:)`` and ``wake()``; everything else runs on ``eventLoop``. A broadcast costs one task
/// per loop, not one per viewer, and a loop writes at most ``writesPerTurn`` frames before it yields,
/// so publishes and pings handled on the same loop are not stuck behind a large fan-out. When several
/// deliveries for one stream are waiting, each viewer gets them in one system call. The loop's
/// heartbeats are swept when a drain ends, while the loop is awake anyway, and by a timer when the
/// loop has been idle for a sweep interval: a wake-up of its own costs more than the sweep.
final class LoopFanout: Sendable {
    /// Frames written per loop turn before yielding to other work on the loop.
    static let writesPerTurn = 2048
    /// Deliveries for one stream written to each viewer in one system call.
    static let maxBatch = 16

    let eventLoop: any EventLoop
    /// The loop's place in the hub's group; the stream directory counts viewers per index.
    let index: Int
    /// The width of a ``HeartbeatWheel`` slot: a busy loop's sweeps send that much of the pings due at a time.
    private let heartbeatSlot: TimeAmount
    private let queue = Mutex(PendingDeliveries())
    private let local: NIOLoopBoundBox<LocalViewers>

    private struct PendingDeliveries: ~Copyable {
        var deliveries = CircularBuffer<Delivery>()
        var drainScheduled = false
    }

    /// Consecutive deliveries for one stream, being written to its viewers on this loop.
    private struct Batch {
        let deliveries: [Delivery]
        /// The deliveries' ids and frames, read once per batch.
        let messages: [OutboundMessage]
        let viewers: ContiguousArray<ViewerHandler>
        /// The first viewer not written to yet.
        var next = 0
        /// Viewers each delivery was written to.
        var written: [Int]
    }

    /// Loop-confined state: viewers by stream, and the batch being written.
    private final class LocalViewers {
        var byStream: [StreamID: ContiguousArray<ViewerHandler>] = [:]
        var current: Batch?
        var heartbeats: HeartbeatWheel

        init(heartbeats: HeartbeatWheel) {
            self.heartbeats = heartbeats
        }
    }

    /// - Parameters:
    ///   - eventLoop: The loop whose viewers this fanout writes to.
    ///   - index: The loop's place in the hub's group.
    ///   - heartbeatSlot: The width of a heartbeat wheel slot.
    ///   - heartbeatHorizon: The longest a viewer's next heartbeat can be away (ping interval or pong timeout).
    init(eventLoop: any EventLoop, index: Int, heartbeatSlot: Duration, heartbeatHorizon: Duration) {
        self.eventLoop = eventLoop
        self.index = index
        self.heartbeatSlot = TimeAmount(heartbeatSlot)
        let wheel = HeartbeatWheel(tick: self.heartbeatSlot, horizon: TimeAmount(heartbeatHorizon), now: .now())
        self.local = .makeBoxSendingValue(LocalViewers(heartbeats: wheel), eventLoop: eventLoop)
    }

    /// Queues `delivery` behind the others; `true` when the loop must be woken with ``wake()``
    /// (left to the caller, so that no lock is held while it writes to the loop's eventfd).
    func enqueue(_ delivery: Delivery) -> Bool {
        queue.withLock { queue in
            queue.deliveries.append(delivery)
            defer { queue.drainScheduled = true }
            return !queue.drainScheduled
        }
    }

    /// Has the loop write what is queued.
    func wake() {
        eventLoop.execute { self.drain() }
    }

    /// Adds a viewer; on ``eventLoop``.
    func add(_ viewer: ViewerHandler) {
        let local = self.local.value
        viewer.indexInLoop = local.byStream[viewer.streamID, default: []].count
        local.byStream[viewer.streamID, default: []].append(viewer)
        local.heartbeats.insert(viewer)
    }

    /// Removes a viewer in O(1); on ``eventLoop``.
    func remove(_ viewer: ViewerHandler) {
        let local = self.local.value
        guard var viewers = local.byStream[viewer.streamID], viewer.indexInLoop < viewers.count,
            viewers[viewer.indexInLoop] === viewer
        else { return }
        local.byStream[viewer.streamID] = nil  // keep `viewers` uniquely referenced while editing
        let index = viewer.indexInLoop
        viewers.swapAt(index, viewers.count - 1)
        viewers.removeLast()
        if index < viewers.count { viewers[index].indexInLoop = index }
        if !viewers.isEmpty { local.byStream[viewer.streamID] = viewers }
    }

    /// Starts the heartbeat sweep's timer on ``eventLoop`` itself, every `interval` (drains sweep
    /// too), recording its lateness in `lag`; cancel it to stop it.
    func startHeartbeatSweep(every interval: TimeAmount, lag: LoopLag) -> LoopTicker {
        LoopTicker(on: eventLoop, every: interval, lag: lag) { self.sweepHeartbeats() }
    }

    /// Gives the viewers whose heartbeat is due their turn; on ``eventLoop``.
    private func sweepHeartbeats() {
        local.value.heartbeats.advance(to: .now())
    }

    /// Every viewer on this loop; on ``eventLoop``.
    func allViewers() -> [ViewerHandler] {
        local.value.byStream.values.flatMap { $0 }
    }

    private func drain() {
        let local = self.local.value
        var budget = Self.writesPerTurn
        while budget > 0 {
            if local.current == nil {
                guard let deliveries = takeBatch() else { return sweepHeartbeats() }
                let viewers = local.byStream[deliveries[0].streamID] ?? []
                local.current = Batch(
                    deliveries: deliveries, messages: deliveries.map { OutboundMessage(eventID: $0.eventID, frame: $0.frame) },
                    viewers: viewers, written: Array(repeating: 0, count: deliveries.count)
                )
            }
            guard var batch = local.current else { continue }
            local.current = nil  // keep `batch` uniquely referenced while counting
            let size = batch.deliveries.count
            let end = min(batch.viewers.count, batch.next + max(1, budget / size))
            let now = NIODeadline.now()
            for viewer in batch.viewers[batch.next..<end] {
                let written = viewer.write(batch.messages, now: now)
                for index in 0..<size where written.contains(index) { batch.written[index] += 1 }
            }
            budget -= max(1, (end - batch.next) * size)
            batch.next = end
            if end == batch.viewers.count {
                for (delivery, written) in zip(batch.deliveries, batch.written) { delivery.loopFinished(deliveries: written) }
            } else {
                local.current = batch
            }
        }
        eventLoop.execute { self.drain() }
    }

    /// The next delivery and those queued right behind it for the same stream.
    private func takeBatch() -> [Delivery]? {
        queue.withLock { queue in
            guard let first = queue.deliveries.popFirst() else {
                queue.drainScheduled = false
                return nil
            }
            var batch = [first]
            while batch.count < Self.maxBatch, let next = queue.deliveries.first, next.streamID == first.streamID {
                batch.append(queue.deliveries.removeFirst())
            }
            return batch
        }
    }
}
