/// Receives what happens in the hub, for metrics; every method is called synchronously and must not block.
///
/// Methods may be called from any event loop or task, so implementations use atomics or lock-free metrics.
public protocol HubObserver: Sendable {
    func viewerOpened()
    func viewerClosed(cause: ViewerCloseCause)
    func viewerRejected(_ rejection: ViewerRejection)
    /// A pong answered one of the hub's pings after `roundTrip`.
    func heartbeatAnswered(roundTrip: Duration)
    func eventPublished(_ event: PublishedEvent)
    /// A viewer asked to resume; `recovered` when it was sent every event it missed.
    func viewerResumed(recovered: Bool)
    /// Every local viewer's write for one message was handed to its event loop.
    /// - Parameters:
    ///   - event: The message's event name.
    ///   - deliveries: Viewers the message was written to.
    ///   - latency: From local receipt of the message until its last write.
    func broadcastCompleted(event: String, deliveries: Int, latency: Duration)
}

extension HubObserver {
    public func viewerOpened() {}
    public func viewerClosed(cause: ViewerCloseCause) {}
    public func viewerRejected(_ rejection: ViewerRejection) {}
    public func heartbeatAnswered(roundTrip: Duration) {}
    public func eventPublished(_ event: PublishedEvent) {}
    public func viewerResumed(recovered: Bool) {}
    public func broadcastCompleted(event: String, deliveries: Int, latency: Duration) {}
}

/// An observer that ignores everything.
public struct NoHubObserver: HubObserver {
    public init() {}
}
