import NIOCore
import Synchronization

/// How late the event loops ran their timers: a loop busy or starved for that long delays every
/// viewer on it.
///
/// Fed by the heartbeat sweep's ``LoopTicker`` on each loop (a timer that runs anyway, so measuring
/// costs no wake-up of its own); read by the `scheduling_lag` check.
final class LoopLag: Sendable {
    private let worstNanoseconds = Atomic<Int64>(0)

    /// Records that a timer ran `lateness` after its deadline; from any loop.
    func record(_ lateness: TimeAmount) {
        _ = worstNanoseconds.max(max(0, lateness.nanoseconds), ordering: .relaxed)
    }

    /// The worst lateness since the last call.
    func takeWorst() -> Duration {
        .nanoseconds(worstNanoseconds.exchange(0, ordering: .relaxed))
    }
}
