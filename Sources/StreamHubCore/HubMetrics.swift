import Prometheus

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
    private let published: [PublishedEvent: Counter]
    private let sent: [String: Counter]
    private let broadcastLatency: [String: DurationHistogram]
    private let heartbeatRTT: DurationHistogram

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
        let closedName = name("streamhub_connections_closed_total", "Viewer connections closed, by reason.")
        closed = Dictionary(
            uniqueKeysWithValues: ViewerCloseCause.allCases.map {
                ($0, registry.makeCounter(descriptor: closedName, labels: [("reason", $0.rawValue)]))
            }
        )
        let rejectedName = name("streamhub_connections_rejected_total", "Viewer upgrades refused, by reason.")
        rejected = Dictionary(
            uniqueKeysWithValues: ViewerRejection.allCases.map {
                ($0, registry.makeCounter(descriptor: rejectedName, labels: [("reason", $0.rawValue)]))
            }
        )
        streams = registry.makeGauge(descriptor: name("streamhub_streams", "Streams with viewers on this node."))
        let publishedName = name("streamhub_events_published_total", "Events accepted from publishers on this node, by event.")
        published = Dictionary(
            uniqueKeysWithValues: PublishedEvent.allCases.map {
                ($0, registry.makeCounter(descriptor: publishedName, labels: [("event", $0.rawValue)]))
            }
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

    public func broadcastCompleted(event: String, deliveries: Int, latency: Duration) {
        if deliveries > 0 { sent[event]?.increment(by: Int64(deliveries)) }
        broadcastLatency[event]?.record(latency)
    }

    // MARK: Scrape

    /// The whole exposition: the registry, `streamhub_stream_viewers` and the process metrics.
    public func render(hub: Hub) -> [UInt8] {
        let counts = hub.viewerCounts()
        streams.set(Int64(counts.count))
        var output = registry.emitToBuffer()
        StreamViewersFamily(topStreams: topStreams).write(counts, to: &output)
        ProcessMetrics.read()?.write(to: &output)
        return output
    }
}
