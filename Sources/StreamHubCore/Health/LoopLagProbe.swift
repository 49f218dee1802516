import NIOCore
import Synchronization

/// Measures how late the event loops run their timers: a loop busy or starved for longer than that
/// delays every viewer on it.
final class LoopLagProbe: Sendable {
    /// Time between two probe timers on each loop.
    static let period = TimeAmount.milliseconds(100)

    private let loops: [any EventLoop]
    private let worstLagNanoseconds = Atomic<Int64>(0)
    private let tickers = Mutex<[LoopTicker]>([])

    init(loops: [any EventLoop]) {
        self.loops = loops
    }

    func start() {
        let started = loops.map { loop in
            let expected = NIOLoopBoundBox.makeBoxSendingValue(NIODeadline.now() + Self.period, eventLoop: loop)
            return LoopTicker(on: loop, every: Self.period) {
                let now = NIODeadline.now()
                let lag = max(0, (now - expected.value).nanoseconds)
                _ = self.worstLagNanoseconds.max(lag, ordering: .relaxed)
                expected.value = now + Self.period
            }
        }
        tickers.withLock { $0 = started }
    }

    func stop() {
        tickers.withLock { tickers in
            for ticker in tickers { ticker.cancel() }
            tickers = []
        }
    }

    /// The worst lateness since the last call.
    func takeWorstLag() -> Duration {
        .nanoseconds(worstLagNanoseconds.exchange(0, ordering: .relaxed))
    }
}
