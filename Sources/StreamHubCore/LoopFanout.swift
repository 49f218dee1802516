import NIOCore
import Synchronization

/// The viewers of one event loop and the deliveries queued for them.
///
/// Any thread may ``enqueue(_:)``; everything else runs on ``eventLoop``. A broadcast costs one task
/// per loop, not one per viewer, and a loop writes at most ``writesPerTurn`` frames before it yields,
/// so publishes and pings handled on the same loop are not stuck behind a large fan-out.
final class LoopFanout: Sendable {
    /// Frames written per loop turn before yielding to other work on the loop.
    static let writesPerTurn = 2048

    let eventLoop: any EventLoop
    private let queue = Mutex(PendingDeliveries())
    private let local: NIOLoopBoundBox<LocalViewers>

    private struct PendingDeliveries: ~Copyable {
        var deliveries = CircularBuffer<Delivery>()
        var drainScheduled = false
    }

    /// Loop-confined state: viewers by stream, and the delivery being written.
    private final class LocalViewers {
        var byStream: [StreamID: ContiguousArray<ViewerHandler>] = [:]
        var current: (delivery: Delivery, viewers: ContiguousArray<ViewerHandler>, next: Int, written: Int)?
    }

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
        self.local = .makeBoxSendingValue(LocalViewers(), eventLoop: eventLoop)
    }

    func enqueue(_ delivery: Delivery) {
        let mustSchedule = queue.withLock { queue in
            queue.deliveries.append(delivery)
            defer { queue.drainScheduled = true }
            return !queue.drainScheduled
        }
        if mustSchedule { eventLoop.execute { self.drain() } }
    }

    /// Adds a viewer; on ``eventLoop``.
    func add(_ viewer: ViewerHandler) {
        let local = self.local.value
        viewer.indexInLoop = local.byStream[viewer.streamID, default: []].count
        local.byStream[viewer.streamID, default: []].append(viewer)
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

    /// Every viewer on this loop; on ``eventLoop``.
    func allViewers() -> [ViewerHandler] {
        local.value.byStream.values.flatMap { $0 }
    }

    private func drain() {
        let local = self.local.value
        var budget = Self.writesPerTurn
        while budget > 0 {
            if local.current == nil {
                let next = queue.withLock { queue -> Delivery? in
                    if let delivery = queue.deliveries.popFirst() { return delivery }
                    queue.drainScheduled = false
                    return nil
                }
                guard let next else { return }
                local.current = (next, local.byStream[next.streamID] ?? [], 0, 0)
            }
            guard var current = local.current else { continue }
            let end = min(current.viewers.count, current.next + budget)
            let chunk = current.viewers[current.next..<end]
            for viewer in chunk where viewer.write(current.delivery.frame, eventID: current.delivery.eventID) {
                current.written += 1
            }
            for viewer in chunk { viewer.flushIfNeeded() }
            budget -= max(1, chunk.count)
            current.next = end
            if end == current.viewers.count {
                local.current = nil
                current.delivery.loopFinished(deliveries: current.written)
            } else {
                local.current = current
            }
        }
        eventLoop.execute { self.drain() }
    }
}
