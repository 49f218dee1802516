/// One thing the hub checks about itself; the raw value is the `check` label.
public enum HealthCheck: String, Sendable, CaseIterable, Comparable {
    case broadcastLatency = "broadcast_latency"
    case reapedSpike = "reaped_spike"
    case connectionsNearLimit = "connections_near_limit"
    case schedulingLag = "scheduling_lag"
    case clusterLink = "cluster_link"

    /// The alert it fires, shared with the Prometheus rules in `alerts/`.
    public var alertName: String {
        switch self {
        case .broadcastLatency: "StreamHubBroadcastLatencyHigh"
        case .reapedSpike: "StreamHubReapedConnectionsSpike"
        case .connectionsNearLimit: "StreamHubConnectionsNearLimit"
        case .schedulingLag: "StreamHubSchedulingLag"
        case .clusterLink: "StreamHubClusterLinkDown"
        }
    }

    public var severity: String {
        switch self {
        case .connectionsNearLimit, .clusterLink: "critical"
        case .broadcastLatency, .reapedSpike, .schedulingLag: "warning"
        }
    }

    public var summary: String {
        switch self {
        case .broadcastLatency: "StreamHub broadcast latency p99 is high"
        case .reapedSpike: "Many StreamHub viewers are being reaped"
        case .connectionsNearLimit: "StreamHub is near its connection limit"
        case .schedulingLag: "StreamHub timers fire late"
        case .clusterLink: "StreamHub lost its Redis link"
        }
    }

    public static func < (lhs: HealthCheck, rhs: HealthCheck) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
