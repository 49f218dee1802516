import StreamHubCore

/// What both fixtures publish, to which stream, and the hub they publish through.
enum BenchmarkBroadcast {
    static let stream = StreamID("benchmark")!
    static let request = try! PublishRequest(body: Array(#"{"event":"quality_changed","data":{"quality":"1080p","bitrate_kbps":6000}}"#.utf8)[...])

    /// Room for `viewers`, and no pings during a run.
    static func hubConfiguration(viewers: Int) -> HubConfiguration {
        var configuration = HubConfiguration(maxConnections: viewers + 1)
        configuration.pingInterval = .seconds(3600)
        return configuration
    }
}

/// A hub with viewers of ``BenchmarkBroadcast/stream`` that an iteration broadcasts to.
protocol BroadcastFixture {
    static var viewers: Int { get }
    /// Publishes ``BenchmarkBroadcast/request`` and returns once every viewer's write is done.
    func broadcast()
    /// Takes what the viewers were sent; returns how many got something.
    @discardableResult func drain() -> Int
}
