/// When the hub checks itself, what counts as failing, and where alerts go.
public struct HealthConfiguration: Sendable {
    /// Time between two rounds of checks; also the window latency and lag are measured over.
    public var interval: Duration
    /// How long a check must fail before its alert fires.
    public var alertFor: Duration
    /// How often a firing alert is sent again.
    public var repeatInterval: Duration
    /// p99 broadcast latency over the window above which `broadcast_latency` fails.
    public var broadcastLatencyThreshold: Duration
    /// Share of the window's connections reaped above which `reaped_spike` fails (with at least ``reapedSpikeMinimum``).
    public var reapedSpikeRatio: Double
    /// Share of the effective connection limit at or above which `connections_near_limit` fails.
    public var connectionsNearLimitRatio: Double
    /// Lateness of the hub's own timers above which `scheduling_lag` fails.
    public var schedulingLagThreshold: Duration
    /// Webhooks that receive Alertmanager-style notifications.
    public var webhookURLs: [String]
    /// Signs notifications with `X-StreamHub-Signature` when set.
    public var webhookSecret: String?
    /// Time one webhook POST may take.
    public var webhookTimeout = Duration.seconds(5)
    /// POSTs per notification and webhook before it counts as failed.
    public var webhookMaxAttempts = 5
    /// Backoff before the first retry; doubles each time, with full jitter.
    public var webhookRetryBase = Duration.seconds(1)
    /// Reaped connections in one window below which `reaped_spike` never fails, so 1 of 2 is no spike.
    public static let reapedSpikeMinimum = 10
    /// Window of `reaped_spike`.
    public static let reapedSpikeWindow = Duration.seconds(60)

    public init(
        interval: Duration = .seconds(10),
        alertFor: Duration = .seconds(30),
        repeatInterval: Duration = .seconds(4 * 3600),
        broadcastLatencyThreshold: Duration = .milliseconds(500),
        reapedSpikeRatio: Double = 0.1,
        connectionsNearLimitRatio: Double = 0.9,
        schedulingLagThreshold: Duration = .milliseconds(250),
        webhookURLs: [String] = [],
        webhookSecret: String? = nil
    ) {
        self.interval = interval
        self.alertFor = alertFor
        self.repeatInterval = repeatInterval
        self.broadcastLatencyThreshold = broadcastLatencyThreshold
        self.reapedSpikeRatio = reapedSpikeRatio
        self.connectionsNearLimitRatio = connectionsNearLimitRatio
        self.schedulingLagThreshold = schedulingLagThreshold
        self.webhookURLs = webhookURLs
        self.webhookSecret = webhookSecret
    }
}
