import AsyncAlgorithms
import Logging
import NIOCore
import ServiceLifecycle

/// The hub's timers: heartbeat sweeps (a timer on each event loop), coalesced viewer counts every
/// ``HubConfiguration/viewerCountInterval`` and forgetting idle stream state.
public struct HubService: Service {
    let hub: Hub

    public init(hub: Hub) {
        self.hub = hub
    }

    public func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask {
                let sweeps = hub.startHeartbeatSweeps()
                try? await gracefulShutdown()
                for sweep in sweeps { sweep.cancel() }
            }
            group.addTask {
                let ticks = AsyncTimerSequence(interval: hub.configuration.viewerCountInterval, clock: .continuous)
                for await _ in ticks.cancelOnGracefulShutdown() { hub.announceViewerCounts() }
            }
            group.addTask {
                let interval = max(.seconds(1), min(.seconds(60), hub.configuration.streamStateTTL / 4))
                for await _ in AsyncTimerSequence(interval: interval, clock: .continuous).cancelOnGracefulShutdown() {
                    let forgotten = hub.forgetIdleStreams()
                    if forgotten > 0 { hub.logger.debug("Forgot idle streams", metadata: ["streams": "\(forgotten)"]) }
                }
            }
        }
    }
}
