import Foundation
import Logging
import NIOCore
import NIOPosix
import Testing

@testable import StreamHubCore

/// The `scheduling_lag` check, measured by the heartbeat sweep's timer on a real event loop.
@Suite(.timeLimit(.minutes(1))) struct SchedulingLagTests {
    private struct NoAlerts: AlertSink {
        func send(_ notification: AlertNotification) {}
    }

    @Test func aLoopBlockedPastTheThresholdFailsTheCheckAndARunningOneDoesNot() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let hub = Hub(configuration: HubConfiguration(), eventLoopGroup: group, logger: Logger(label: "test"))
        let monitor = HealthMonitor(
            configuration: HealthConfiguration(schedulingLagThreshold: .seconds(1)), hub: hub, metrics: HubMetrics(),
            alerts: NoAlerts(), instance: "test", externalURL: "http://test", logger: Logger(label: "test")
        )
        let sweeps = hub.startHeartbeatSweeps()

        // Several sweep intervals of a loop with nothing to do (the threshold leaves room for a busy machine).
        try await loop.scheduleTask(in: .milliseconds(300)) {}.futureResult.get()
        monitor.checkOnce()
        #expect(!monitor.failingChecks.contains { $0.check == .schedulingLag })

        // A task that holds the loop for 1.5 s: the sweep due meanwhile runs that much late.
        try await loop.submit { Thread.sleep(forTimeInterval: 1.5) }.get()
        try await loop.scheduleTask(in: Hub.heartbeatSweepInterval) {}.futureResult.get()
        monitor.checkOnce()
        let failing = try #require(monitor.failingChecks.first { $0.check == .schedulingLag })
        #expect(failing.description.contains("threshold 1000ms"), "\(failing.description)")

        // Each check reads the worst lateness since the last one.
        monitor.checkOnce()
        #expect(!monitor.failingChecks.contains { $0.check == .schedulingLag })

        for sweep in sweeps { sweep.cancel() }
        try await group.shutdownGracefully()
    }
}
