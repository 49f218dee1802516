import Prometheus
import StreamHubCore

/// The `streamhub_cluster_*` families of the contract, registered beside the hub's own.
final class ClusterMetrics: Sendable {
    let up: Gauge
    let nodes: Gauge
    let sent: Counter
    let received: Counter
    let dropped: Counter
    let reconnects: Counter
    let lag: DurationHistogram

    init(registry: PrometheusCollectorRegistry) {
        func name(_ metric: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(metricName: metric, unitName: "", helpText: help)
        }
        up = registry.makeGauge(descriptor: name("streamhub_cluster_up", "1 while connected to Redis, 0 while not."))
        nodes = registry.makeGauge(descriptor: name("streamhub_cluster_nodes", "Nodes heard from within the node TTL, this one included."))
        let messages = name("streamhub_cluster_messages_total", "Messages exchanged with the other nodes through Redis, by direction.")
        sent = registry.makeCounter(descriptor: messages, labels: [("direction", "out")])
        received = registry.makeCounter(descriptor: messages, labels: [("direction", "in")])
        dropped = registry.makeCounter(
            descriptor: name("streamhub_cluster_dropped_messages_total", "Messages from Redis dropped as malformed or undeliverable.")
        )
        reconnects = registry.makeCounter(descriptor: name("streamhub_cluster_reconnects_total", "Attempts to reconnect to Redis."))
        lag = registry.makeDurationHistogram(
            descriptor: name("streamhub_cluster_lag_seconds", "From the accepting node's receipt of an event to this node's receipt."),
            buckets: HubMetrics.latencyBuckets
        )
        up.set(Int64(0))
        nodes.set(Int64(1))
    }
}
