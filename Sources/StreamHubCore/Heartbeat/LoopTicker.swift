import NIOCore

/// Runs a closure on an event loop every `interval` until cancelled, on NIO's scheduled
/// callbacks: unlike `scheduleRepeatedTask`, a tick allocates no promise, future or task closure,
/// which at a hundred ticks a second cost more than the work they ran. How late each tick ran goes to
/// its ``LoopLag``.
final class LoopTicker: NIOScheduledCallbackHandler, Sendable {
    private let eventLoop: any EventLoop
    private let interval: TimeAmount
    private let lag: LoopLag
    private let tick: @Sendable () -> Void
    private let scheduled: NIOLoopBoundBox<Scheduling>

    private struct Scheduling {
        var next: NIOScheduledCallback?
        var deadline = NIODeadline.distantFuture
        var cancelled = false
    }

    /// Starts calling `tick` on `eventLoop`, first `interval` from now, then `interval` after each call returns.
    init(on eventLoop: any EventLoop, every interval: TimeAmount, lag: LoopLag, _ tick: @escaping @Sendable () -> Void) {
        self.eventLoop = eventLoop
        self.interval = interval
        self.lag = lag
        self.tick = tick
        self.scheduled = .makeBoxSendingValue(Scheduling(), eventLoop: eventLoop)
        eventLoop.execute { self.scheduleNext() }
    }

    func handleScheduledCallback(eventLoop: some EventLoop) {
        guard !scheduled.value.cancelled else { return }
        lag.record(.now() - scheduled.value.deadline)
        tick()
        scheduleNext()
    }

    /// Stops the ticks; from any thread.
    func cancel() {
        eventLoop.execute {
            self.scheduled.value.cancelled = true
            self.scheduled.value.next?.cancel()
            self.scheduled.value.next = nil
        }
    }

    private func scheduleNext() {
        guard !scheduled.value.cancelled else { return }
        // Fails only once the loop is shutting down, which ends the ticks anyway.
        let deadline = NIODeadline.now() + interval
        scheduled.value.deadline = deadline
        scheduled.value.next = try? eventLoop.scheduleCallback(at: deadline, handler: self)
    }
}
