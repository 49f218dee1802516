import Prometheus
import Synchronization

/// The hub's Prometheus registry: every family of the contract, declared once, with its help text.
///
/// It is the hub's ``HubObserver``: recording is O(1) per call and never holds a lock across viewers.
/// Families that are cheaper to read at scrape time than to track (per-stream viewers, active streams,
/// process figures) are filled in by ``render(hub:)``.
public final class HubMetrics: HubObserver {
    /// Latency buckets of the contract, in seconds.
    public static let latencyBuckets: [Duration] = [
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
    ].map { .nanoseconds(Int64(($0 * 1e9).rounded())) }

    /// The content type of ``render(hub:)``.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    public let registry: PrometheusCollectorRegistry
    /// Streams exported one by one in `streamhub_stream_viewers`; the rest are summed as `(other)`.
    public let topStreams: Int

    private let connections: Gauge
    private let opened: Counter
    private let closed: [ViewerCloseCause: Counter]
    private let rejected: [ViewerRejection: Counter]
    private let streams: Gauge
    private let httpConnections: Gauge
    private let httpClosed: [HTTPCloseReason: Counter]
    private let acceptErrors: Counter
    private let connectionsLimit: Gauge
    private let published: [PublishedEvent: Counter]
    private let resumes: (recovered: Counter, missed: Counter)
    private let sent: [String: Counter]
    private let broadcastLatency: [String: DurationHistogram]
    private let heartbeatRTT: DurationHistogram
    private let notifications: [AlertNotification.Status: (delivered: Counter, failed: Counter)]
    private let healthGauges = Mutex<[HealthCheck: (status: Gauge, firing: Gauge)]>([:])
    /// Closed and reaped connections so far, for the reaped-spike check.
    private let closedCount = Atomic<Int>(0)
    private let reapedCount = Atomic<Int>(0)
    /// Broadcast latencies since the last health check.
    let broadcastLatencyWindow = LatencyWindow(bounds: HubMetrics.latencyBuckets)

    /// - Parameters:
    ///   - registry: Where the families live; one per hub, so tests never share one.
    ///   - topStreams: How many streams `streamhub_stream_viewers` names.
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), topStreams: Int = 100) {
        self.registry = registry
        self.topStreams = topStreams
        func name(_ metric: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(metricName: metric, unitName: "", helpText: help)
        }
        connections = registry.makeGauge(descriptor: name("streamhub_connections", "Open viewer WebSocket connections."))
        opened = registry.makeCounter(descriptor: name("streamhub_connections_opened_total", "Viewer connections opened."))
        /// One counter per label value, all declared now so each is exported at 0.
        func counters<Key: RawRepresentable<String>>(_ descriptor: MetricNameDescriptor, _ label: String, _ keys: [Key]) -> [Key: Counter] {
            Dictionary(uniqueKeysWithValues: keys.map { ($0, registry.makeCounter(descriptor: descriptor, labels: [(label, $0.rawValue)])) })
        }
        closed = counters(name("streamhub_connections_closed_total", "Viewer connections closed, by reason."), "reason", ViewerCloseCause.allCases)
        rejected = counters(name("streamhub_connections_rejected_total", "Viewer upgrades refused, by reason."), "reason", ViewerRejection.allCases)
        streams = registry.makeGauge(descriptor: name("streamhub_streams", "Streams with viewers on this node."))
        httpConnections = registry.makeGauge(
            descriptor: name("streamhub_http_connections", "Open HTTP connections that are not viewers (publishers, scrapes, handshakes).")
        )
        httpClosed = counters(
            name("streamhub_http_closed_total", "HTTP connections closed by the hub's timeouts and limits, by reason."), "reason",
            HTTPCloseReason.allCases
        )
        acceptErrors = registry.makeCounter(
            descriptor: name("streamhub_accept_errors_total", "Accepts that failed (e.g. out of file descriptors).")
        )
        connectionsLimit = registry.makeGauge(
            descriptor: name(
                "streamhub_connections_limit", "The effective viewer connection limit: min(--max-connections, open-file limit - reserve).")
        )
        published = counters(
            name("streamhub_events_published_total", "Events accepted from publishers on this node, by event."), "event", PublishedEvent.allCases
        )
        let resumesName = name("streamhub_resumes_total", "Viewers that asked to resume: recovered (sent what they missed) or missed.")
        resumes = (
            registry.makeCounter(descriptor: resumesName, labels: [("result", "recovered")]),
            registry.makeCounter(descriptor: resumesName, labels: [("result", "missed")])
        )
        let sentName = name("streamhub_messages_sent_total", "Messages written to viewers, by event.")
        sent = Dictionary(
            uniqueKeysWithValues: EventName.all.map { ($0, registry.makeCounter(descriptor: sentName, labels: [("event", $0)])) }
        )
        let latencyName = name(
            "streamhub_broadcast_latency_seconds",
            "From local receipt of an event until every viewer's write was handed to its event loop."
        )
        broadcastLatency = Dictionary(
            uniqueKeysWithValues: EventName.all.filter { $0 != EventName.streamState }.map {
                ($0, registry.makeDurationHistogram(descriptor: latencyName, labels: [("event", $0)], buckets: Self.latencyBuckets))
            }
        )
        heartbeatRTT = registry.makeDurationHistogram(
            descriptor: name("streamhub_heartbeat_rtt_seconds", "Round-trip time of server pings to viewers."),
            buckets: Self.latencyBuckets
        )
        let notificationsName = name("streamhub_alert_notifications_total", "Alert notifications sent to webhooks, by status and result.")
        notifications = Dictionary(
            uniqueKeysWithValues: AlertNotification.Status.allCases.map { status in
                let counter = { (result: String) in
                    registry.makeCounter(descriptor: notificationsName, labels: [("status", status.rawValue), ("result", result)])
                }
                return (status, (counter("delivered"), counter("failed")))
            }
        )
        registry.makeGauge(
            descriptor: name("streamhub_build_info", "The running StreamHub version."),
            labels: [("version", StreamHubVersion.current)]
        ).set(Int64(1))
    }

    // MARK: HubObserver

    public func viewerOpened() {
        opened.increment()
        connections.increment()
        sent[EventName.streamState]?.increment()
    }

    public func viewerClosed(cause: ViewerCloseCause) {
        connections.decrement()
        closed[cause]?.increment()
        closedCount.add(1, ordering: .relaxed)
        if cause == .reaped { reapedCount.add(1, ordering: .relaxed) }
    }

    public func viewerRejected(_ rejection: ViewerRejection) {
        rejected[rejection]?.increment()
    }

    public func heartbeatAnswered(roundTrip: Duration) {
        heartbeatRTT.record(roundTrip)
    }

    public func eventPublished(_ event: PublishedEvent) {
        published[event]?.increment()
    }

    public func viewerResumed(recovered: Bool) {
        (recovered ? resumes.recovered : resumes.missed).increment()
    }

    public func broadcastCompleted(event: String, deliveries: Int, latency: Duration) {
        if deliveries > 0 { sent[event]?.increment(by: Int64(deliveries)) }
        broadcastLatency[event]?.record(latency)
        broadcastLatencyWindow.record(latency)
    }

    // MARK: HTTP connections

    /// An HTTP connection opened (`up`) or closed, or was upgraded to a viewer (not `up`).
    public func httpConnection(up: Bool) {
        if up { httpConnections.increment() } else { httpConnections.decrement() }
    }

    /// The hub closed an HTTP connection, for `reason`.
    public func httpConnectionClosed(_ reason: HTTPCloseReason) {
        httpClosed[reason]?.increment()
    }

    /// Accepting a connection failed.
    public func acceptFailed() {
        acceptErrors.increment()
    }

    // MARK: Health

    /// Declares `streamhub_health_check_status` and `streamhub_health_alert_firing` for `checks`: healthy, not firing.
    func registerHealthChecks(_ checks: [HealthCheck]) {
        let status = MetricNameDescriptor(
            metricName: "streamhub_health_check_status", unitName: "", helpText: "Last result of each health check: 1 healthy, 0 failing."
        )
        let firing = MetricNameDescriptor(
            metricName: "streamhub_health_alert_firing", unitName: "", helpText: "1 while the check's alert fires."
        )
        healthGauges.withLock { gauges in
            for check in checks where gauges[check] == nil {
                let labels = [("check", check.rawValue)]
                let pair = (registry.makeGauge(descriptor: status, labels: labels), registry.makeGauge(descriptor: firing, labels: labels))
                pair.0.set(Int64(1))
                pair.1.set(Int64(0))
                gauges[check] = pair
            }
        }
    }

    func recordCheck(_ check: HealthCheck, healthy: Bool, firing: Bool) {
        guard let gauges = healthGauges.withLock({ $0[check] }) else { return }
        gauges.status.set(Int64(healthy ? 1 : 0))
        gauges.firing.set(Int64(firing ? 1 : 0))
    }

    /// Counts one notification's outcome at one webhook.
    public func recordNotification(_ status: AlertNotification.Status, delivered: Bool) {
        guard let counters = notifications[status] else { return }
        (delivered ? counters.delivered : counters.failed).increment()
    }

    func closeTotals() -> (closed: Int, reaped: Int) {
        (closedCount.load(ordering: .relaxed), reapedCount.load(ordering: .relaxed))
    }

    // MARK: Scrape

    /// The whole exposition: the registry, `streamhub_stream_viewers` and the process metrics.
    public func render(hub: Hub) -> [UInt8] {
        let counts = hub.viewerCounts()
        streams.set(Int64(counts.count))
        connectionsLimit.set(Int64(hub.configuration.maxConnections))
        var output = registry.emitToBuffer()
        StreamViewersFamily(topStreams: topStreams).write(counts, to: &output)
        ProcessMetrics.read()?.write(to: &output)
        return output
    }
}
