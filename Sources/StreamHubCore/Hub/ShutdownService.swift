import Logging
import ServiceLifecycle

/// Drains the hub on SIGTERM/SIGINT before the HTTP server stops.
///
/// Listed after the server in the service group, so it is shut down first: `/readyz` and new
/// upgrades answer 503 for ``delay`` while the listener stays open, then viewers are closed with
/// 1001 in batches spread over half of what is left of ``grace``.
public struct ShutdownService: Service {
    let hub: Hub
    let delay: Duration
    let grace: Duration
    /// Time between two batches of closes.
    static let batchInterval = Duration.milliseconds(100)

    public init(hub: Hub, delay: Duration = .zero, grace: Duration = .seconds(10)) {
        self.hub = hub
        self.delay = delay
        self.grace = grace
    }

    public func run() async throws {
        do {
            try await gracefulShutdown()
        } catch {
            return  // Cancelled: the group is going down without a drain.
        }
        let clock = ContinuousClock()
        let deadline = clock.now + grace
        hub.beginDraining()
        hub.logger.info(
            "Draining",
            metadata: ["viewers": "\(hub.connections)", "shutdown.delay": "\(delay)", "shutdown.grace": "\(grace)"]
        )
        try? await clock.sleep(for: delay)
        let spread = (deadline - clock.now) / 2
        let batches = max(1, Int(spread / Self.batchInterval))
        var open = await hub.closeViewers(limit: 0)
        for batch in 0..<batches where open > 0 {
            let batchesLeft = batches - batch
            open = await hub.closeViewers(limit: (open + batchesLeft - 1) / batchesLeft)
            try? await clock.sleep(for: Self.batchInterval)
        }
        // Closing viewers answer within a second or are cut off; leave a margin before the grace ends.
        while hub.connections > 0, clock.now < deadline - .milliseconds(500) {
            try? await clock.sleep(for: .milliseconds(50))
        }
        hub.logger.info("Drained", metadata: ["viewers.left": "\(hub.connections)"])
    }
}
