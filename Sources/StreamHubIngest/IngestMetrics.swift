import Prometheus

/// `streamhub_ingest_callbacks_total{server, call, result}`, every series made at start.
struct IngestMetrics: Sendable {
    private let counters: [String: Counter]

    init(registry: PrometheusCollectorRegistry) {
        let descriptor = MetricNameDescriptor(
            metricName: "streamhub_ingest_callbacks_total", unitName: "",
            helpText: "Media-server callbacks, by server, call and whether they were accepted or refused (wrong secret, bad name)."
        )
        var counters: [String: Counter] = [:]
        for server in IngestServer.allCases {
            for call in IngestCall.allCases {
                for result in ["accepted", "refused"] {
                    counters[Self.key(server, call, result)] = registry.makeCounter(
                        descriptor: descriptor, labels: [("server", server.label), ("call", call.rawValue), ("result", result)]
                    )
                }
            }
        }
        self.counters = counters
    }

    func count(_ server: IngestServer, _ call: IngestCall, accepted: Bool) {
        counters[Self.key(server, call, accepted ? "accepted" : "refused")]?.increment()
    }

    private static func key(_ server: IngestServer, _ call: IngestCall, _ result: String) -> String {
        "\(server.rawValue)/\(call.rawValue)/\(result)"
    }
}
