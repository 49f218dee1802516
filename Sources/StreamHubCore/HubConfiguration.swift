/// Everything the hub core needs to know; the command line maps onto it one flag per field.
public struct HubConfiguration: Sendable {
    /// Most viewer connections held at once; the caller passes the effective limit (see ``ConnectionLimit``).
    public var maxConnections: Int
    /// Which `Origin` headers may open a viewer connection.
    public var allowedOrigins: OriginPolicy
    /// Time between server pings to each viewer; the first ping is jittered within it.
    public var pingInterval: Duration
    /// Silence after a ping before the viewer is reaped.
    public var pongTimeout: Duration
    /// At most one `viewer_count_changed` per stream per interval.
    public var viewerCountInterval: Duration
    /// Bytes a viewer may have queued before it is closed with 1008.
    public var maxQueuedBytes: Int
    /// Age of a viewer's oldest unsent data before it is closed with 1008.
    public var writeTimeout: Duration
    /// How long the state of a stream with no viewers and no events is kept.
    public var streamStateTTL: Duration

    /// Largest message a viewer may send, in bytes; larger ones close the connection with 1009.
    public static let maxViewerMessageBytes = 4096

    public init(
        maxConnections: Int = 10_000,
        allowedOrigins: OriginPolicy = .any,
        pingInterval: Duration = .seconds(20),
        pongTimeout: Duration = .seconds(10),
        viewerCountInterval: Duration = .milliseconds(500),
        maxQueuedBytes: Int = 1 << 20,
        writeTimeout: Duration = .seconds(10),
        streamStateTTL: Duration = .seconds(3600)
    ) {
        self.maxConnections = maxConnections
        self.allowedOrigins = allowedOrigins
        self.pingInterval = pingInterval
        self.pongTimeout = pongTimeout
        self.viewerCountInterval = viewerCountInterval
        self.maxQueuedBytes = maxQueuedBytes
        self.writeTimeout = writeTimeout
        self.streamStateTTL = streamStateTTL
    }
}

/// The `Origin` values allowed to open viewer connections; requests without `Origin` always pass.
public struct OriginPolicy: Sendable, Hashable, CustomStringConvertible {
    private enum Kind: Sendable, Hashable {
        case any
        case exactly(Set<String>)
    }

    private let kind: Kind

    /// Every origin is allowed (`*`).
    public static var any: Self { .init(kind: .any) }

    /// Only these exact origins, such as `https://player.example.com`; a `*` among them allows all.
    public static func only(_ origins: some Sequence<String>) -> Self {
        let set = Set(origins)
        return set.contains("*") ? .any : .init(kind: .exactly(set))
    }

    public func allows(_ origin: String?) -> Bool {
        guard let origin else { return true }
        switch kind {
        case .any: return true
        case .exactly(let origins): return origins.contains(origin)
        }
    }

    public var description: String {
        switch kind {
        case .any: "*"
        case .exactly(let origins): origins.sorted().joined(separator: ",")
        }
    }
}
