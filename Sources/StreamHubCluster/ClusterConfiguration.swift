import StreamHubRedis

/// How a node joins its cluster.
public struct ClusterConfiguration: Sendable {
    public var redisURL: RedisURL
    /// How long a node's counts count without a new report; each node reports at least every third of it.
    public var nodeTTL: Duration
    /// Prefix of every key and channel, so several clusters can share one Redis.
    public var namespace: String
    /// Time a connect or a reply from Redis may take.
    public var redisTimeout: Duration

    public init(redisURL: RedisURL, nodeTTL: Duration = .seconds(15), namespace: String = "streamhub", redisTimeout: Duration = .seconds(2)) {
        self.redisURL = redisURL
        self.nodeTTL = nodeTTL
        self.namespace = namespace
        self.redisTimeout = redisTimeout
    }
}
