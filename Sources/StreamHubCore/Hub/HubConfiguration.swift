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
    /// How viewers' frames reach their sockets.
    public var socketWrites: SocketWrites
    /// Most viewers one client address may hold; `nil` is no limit.
    public var maxConnectionsPerIP: Int?
    /// Most new viewers a second, in bursts up to it; `nil` is no limit.
    public var maxConnectRate: Int?
    /// Events kept per stream for viewers that resume; 0 turns history off.
    public var historySize: Int
    /// How long a stream's history is kept after its latest event.
    public var historyTTL: Duration

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
        streamStateTTL: Duration = .seconds(3600),
        socketWrites: SocketWrites = .direct,
        maxConnectionsPerIP: Int? = nil,
        maxConnectRate: Int? = nil,
        historySize: Int = 100,
        historyTTL: Duration = .seconds(600)
    ) {
        self.maxConnections = maxConnections
        self.allowedOrigins = allowedOrigins
        self.pingInterval = pingInterval
        self.pongTimeout = pongTimeout
        self.viewerCountInterval = viewerCountInterval
        self.maxQueuedBytes = maxQueuedBytes
        self.writeTimeout = writeTimeout
        self.streamStateTTL = streamStateTTL
        self.socketWrites = socketWrites
        self.maxConnectionsPerIP = maxConnectionsPerIP
        self.maxConnectRate = maxConnectRate
        self.historySize = historySize
        self.historyTTL = historyTTL
    }
}
