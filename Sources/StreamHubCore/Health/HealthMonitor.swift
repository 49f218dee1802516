import AsyncAlgorithms
import Logging
import ServiceLifecycle
import Synchronization

/// Checks the hub every ``HealthConfiguration/interval``, keeps each check's alert state, exports
/// the results as metrics and hands alert notifications to an ``AlertSink``.
public final class HealthMonitor: Service {
    private struct State {
        var alerts: [HealthCheck: AlertStateMachine]
        var failing: [CheckResult] = []
        /// (time, connections closed so far, of which reaped) at each check, within the reaped-spike window.
        var closedSamples: [(at: ContinuousClock.Instant, closed: Int, reaped: Int)] = []
    }

    public let configuration: HealthConfiguration
    /// The checks this node runs: `cluster_link` only in cluster mode.
    public let checks: [HealthCheck]
    private let hub: Hub
    private let metrics: HubMetrics
    private let alerts: any AlertSink
    private let instance: String
    private let externalURL: String
    private let clusterLinkUp: (@Sendable () -> Bool)?
    private let logger: Logger
    private let state: Mutex<State>

    /// - Parameters:
    ///   - configuration: Interval, thresholds and alert timing.
    ///   - hub: The hub checked.
    ///   - metrics: Where check results and window measurements live.
    ///   - alerts: Receives notifications; must not block.
    ///   - instance: The node's name, the `instance` label.
    ///   - externalURL: How to reach the node, for the payload's URLs.
    ///   - clusterLinkUp: In cluster mode, whether Redis is reachable; `nil` on a single node.
    ///   - logger: Logs alerts fired and resolved.
    public init(
        configuration: HealthConfiguration,
        hub: Hub,
        metrics: HubMetrics,
        alerts: any AlertSink,
        instance: String,
        externalURL: String,
        clusterLinkUp: (@Sendable () -> Bool)? = nil,
        logger: Logger
    ) {
        self.configuration = configuration
        self.checks = HealthCheck.allCases.filter { $0 != .clusterLink || clusterLinkUp != nil }
        self.hub = hub
        self.metrics = metrics
        self.alerts = alerts
        self.instance = instance
        self.externalURL = externalURL
        self.clusterLinkUp = clusterLinkUp
        self.logger = logger
        let machines = checks.map { ($0, AlertStateMachine(alertFor: configuration.alertFor, repeatInterval: configuration.repeatInterval)) }
        self.state = Mutex(State(alerts: Dictionary(uniqueKeysWithValues: machines)))
        metrics.registerHealthChecks(checks)
    }

    /// Results of the checks failing at the last round, for `/readyz`.
    public var failingChecks: [CheckResult] { state.withLock { $0.failing } }

    public func run() async throws {
        for await _ in AsyncTimerSequence(interval: configuration.interval, clock: .continuous).cancelOnGracefulShutdown() {
            checkOnce()
        }
    }

    /// One round: measure, update metrics and alert states, send notifications.
    func checkOnce(now: ContinuousClock.Instant = .now, wallClock: Timestamp = .now()) {
        let results = evaluate(now: now)
        let (transitions, firing) = state.withLock { state in
            state.failing = results.filter { !$0.healthy }
            let transitions = results.compactMap { result in
                state.alerts[result.check]?.record(healthy: result.healthy, now: now, wallClock: wallClock).map { (result, $0) }
            }
            return (transitions, Set(state.alerts.filter { $0.value.isFiring }.keys))
        }
        for result in results {
            metrics.recordCheck(result.check, healthy: result.healthy, firing: firing.contains(result.check))
        }
        for (result, transition) in transitions { notify(result, transition) }
    }

    private func notify(_ result: CheckResult, _ transition: AlertTransition) {
        let notification: AlertNotification
        switch transition {
        case .fire(let startsAt), .repeatFiring(let startsAt):
            logger.info("Alert firing", metadata: ["alert": "\(result.check.alertName)", "check.description": "\(result.description)"])
            notification = AlertNotification(
                check: result.check, status: .firing, description: result.description,
                startsAt: startsAt, endsAt: nil, instance: instance, externalURL: externalURL
            )
        case .resolve(let startsAt, let endsAt):
            logger.info("Alert resolved", metadata: ["alert": "\(result.check.alertName)", "check.description": "\(result.description)"])
            notification = AlertNotification(
                check: result.check, status: .resolved, description: result.description,
                startsAt: startsAt, endsAt: endsAt, instance: instance, externalURL: externalURL
            )
        }
        alerts.send(notification)
    }

    private func evaluate(now: ContinuousClock.Instant) -> [CheckResult] {
        checks.map { check in
            switch check {
            case .broadcastLatency: broadcastLatency()
            case .reapedSpike: reapedSpike(now: now)
            case .connectionsNearLimit: connectionsNearLimit()
            case .schedulingLag: schedulingLag()
            case .clusterLink:
                (clusterLinkUp?() ?? true)
                    ? CheckResult(check: check, healthy: true, description: "Redis is reachable")
                    : CheckResult(check: check, healthy: false, description: "Redis is unreachable; serving local viewers only")
            }
        }
    }

    private func broadcastLatency() -> CheckResult {
        let threshold = configuration.broadcastLatencyThreshold
        guard let p99 = metrics.broadcastLatencyWindow.takeQuantile(0.99) else {
            return CheckResult(check: .broadcastLatency, healthy: true, description: "no broadcasts in the last window")
        }
        return CheckResult(
            check: .broadcastLatency,
            healthy: p99 <= threshold,
            description: "broadcast latency p99 is \(Self.format(p99)) over the last \(configuration.interval); threshold \(Self.format(threshold))"
        )
    }

    private func reapedSpike(now: ContinuousClock.Instant) -> CheckResult {
        let totals = metrics.closeTotals()
        let (closed, reaped) = state.withLock { state in
            state.closedSamples.append((now, totals.closed, totals.reaped))
            state.closedSamples.removeAll { now - $0.at > HealthConfiguration.reapedSpikeWindow }
            let oldest = state.closedSamples[0]
            return (totals.closed - oldest.closed, totals.reaped - oldest.reaped)
        }
        let all = hub.connections + closed
        let share = all > 0 ? Double(reaped) / Double(all) : 0
        let percent = Int((share * 100).rounded())
        let threshold = Int((configuration.reapedSpikeRatio * 100).rounded())
        return CheckResult(
            check: .reapedSpike,
            healthy: reaped < HealthConfiguration.reapedSpikeMinimum || share <= configuration.reapedSpikeRatio,
            description: "\(reaped) of \(all) connections (\(percent)%) reaped in the last minute; threshold \(threshold)% "
                + "and at least \(HealthConfiguration.reapedSpikeMinimum)"
        )
    }

    private func connectionsNearLimit() -> CheckResult {
        let limit = hub.configuration.maxConnections
        let connections = hub.connections
        let percent = Int((Double(connections) / Double(limit) * 100).rounded(.down))
        let threshold = Int((configuration.connectionsNearLimitRatio * 100).rounded())
        return CheckResult(
            check: .connectionsNearLimit,
            healthy: Double(connections) < configuration.connectionsNearLimitRatio * Double(limit),
            description: "\(connections) of \(limit) connections (\(percent)%); threshold \(threshold)% of the effective limit"
        )
    }

    private func schedulingLag() -> CheckResult {
        let lag = hub.loopLag.takeWorst()
        let threshold = configuration.schedulingLagThreshold
        return CheckResult(
            check: .schedulingLag,
            healthy: lag <= threshold,
            description:
                "event loop timers ran up to \(Self.format(lag)) late in the last \(configuration.interval); threshold \(Self.format(threshold))"
        )
    }

    static func format(_ duration: Duration) -> String {
        let milliseconds = Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
        return milliseconds < 10 ? "\((milliseconds * 100).rounded() / 100)ms" : "\(Int(milliseconds.rounded()))ms"
    }
}
