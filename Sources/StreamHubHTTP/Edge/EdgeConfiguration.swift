/// How the hub treats HTTP connections from the internet, until they are viewers.
public struct EdgeConfiguration: Sendable {
    /// A request, from its first byte (from the connection opening for the first) to its end, must arrive within this.
    public var requestTimeout: Duration
    /// A keep-alive connection silent this long after an answer is closed.
    public var idleTimeout: Duration
    /// Proxies whose `X-Forwarded-For` names the client.
    public var trustedProxies: TrustedProxies

    public init(requestTimeout: Duration = .seconds(10), idleTimeout: Duration = .seconds(60), trustedProxies: TrustedProxies = TrustedProxies()) {
        self.requestTimeout = requestTimeout
        self.idleTimeout = idleTimeout
        self.trustedProxies = trustedProxies
    }
}
