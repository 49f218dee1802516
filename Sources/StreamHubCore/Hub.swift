import Logging
import NIOCore
import NIOWebSocket
import Synchronization

/// The hub on one node: viewers by stream, their state, admission and publishing.
///
/// Publishing encodes each message once and hands every event loop one ``Delivery``; the loops
/// write it to their viewers. No actor and no per-viewer task sits on the broadcast path.
public final class Hub: Sendable {
    public let configuration: HubConfiguration
    let logger: Logger
    let observer: any HubObserver
    let encoder: MessageEncoder

    private let directory = Mutex(StreamDirectory())
    private let fanouts: [LoopFanout]
    /// Viewer slots taken, counted from admission until the socket closes.
    private let openConnections = Atomic<Int>(0)
    private let isDraining = Atomic<Bool>(false)

    /// - Parameters:
    ///   - configuration: Limits and timings.
    ///   - eventLoopGroup: The group whose loops own the viewer channels.
    ///   - logger: Hub-wide logger; per-connection events are logged at debug.
    ///   - observer: Receives counts and timings for metrics.
    public init(
        configuration: HubConfiguration,
        eventLoopGroup: any EventLoopGroup,
        logger: Logger,
        observer: any HubObserver = NoHubObserver()
    ) {
        self.configuration = configuration
        self.logger = logger
        self.observer = observer
        self.encoder = MessageEncoder(allocator: ByteBufferAllocator())
        var fanouts: [LoopFanout] = []
        let horizon = max(configuration.pingInterval, configuration.pongTimeout)
        for loop in eventLoopGroup.makeIterator() {
            fanouts.append(LoopFanout(eventLoop: loop, heartbeatTick: Self.heartbeatSweepInterval, heartbeatHorizon: horizon))
        }
        self.fanouts = fanouts
    }

    // MARK: Viewers

    /// Open viewer connections, including upgrades in progress.
    public var connections: Int { openConnections.load(ordering: .relaxed) }

    /// Takes a connection slot for `channel` until it closes, or says (and counts) why not.
    public func admit(streamID rawID: String, origin: String?, channel: any Channel) -> Result<StreamID, ViewerRejection> {
        func refuse(_ rejection: ViewerRejection) -> Result<StreamID, ViewerRejection> {
            observer.viewerRejected(rejection)
            return .failure(rejection)
        }
        guard let streamID = StreamID(rawID) else { return refuse(.badRequest) }
        guard configuration.allowedOrigins.allows(origin) else { return refuse(.origin) }
        if draining { return refuse(.draining) }
        // Taking the slot first makes the check and the count one atomic step.
        let taken = openConnections.add(1, ordering: .relaxed).newValue
        guard taken <= configuration.maxConnections else {
            openConnections.subtract(1, ordering: .relaxed)
            return refuse(.limit)
        }
        channel.closeFuture.whenComplete { _ in self.openConnections.subtract(1, ordering: .relaxed) }
        return .success(streamID)
    }

    /// Turns a channel whose upgrade response was sent into a viewer of `streamID`; call on the channel's event loop.
    ///
    /// Adds the viewer's handler, which reads frames itself (over 4 KiB are refused) and sends
    /// `stream_state` at once. There is no frame encoder: the hub writes ready-made frames. The receive
    /// buffer shrinks to 256 bytes and the write-buffer high water mark becomes
    /// ``HubConfiguration/maxQueuedBytes``. The viewer writes below the pipeline, straight to the
    /// socket where it can (``ViewerSocket``), so the channel must hold no outbound handler (such as
    /// TLS) by then.
    public func attachViewer(of streamID: StreamID, to channel: any Channel) throws {
        let options = channel.syncOptions
        try options?.setOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 256))
        let high = max(configuration.maxQueuedBytes, 2)
        try options?.setOption(.writeBufferWaterMark, value: .init(low: high / 2, high: high))
        let pipeline = channel.pipeline.syncOperations
        try pipeline.addHandler(ViewerHandler(streamID: streamID, hub: self))
    }

    /// The event loops viewers live on.
    var eventLoops: [any EventLoop] { fanouts.map(\.eventLoop) }

    func fanout(for loop: any EventLoop) -> LoopFanout {
        guard let fanout = fanouts.first(where: { $0.eventLoop === loop }) else {
            preconditionFailure("viewer channel on an event loop outside the hub's group")
        }
        return fanout
    }

    func viewerJoined(_ streamID: StreamID) -> StreamSnapshot {
        observer.viewerOpened()
        return directory.withLock { $0.join(streamID, now: .now(), wallClock: .now()) }
    }

    func viewerLeft(_ streamID: StreamID, cause: ViewerCloseCause) {
        directory.withLock { $0.leave(streamID, now: .now()) }
        observer.viewerClosed(cause: cause)
    }

    // MARK: Publishing

    /// Applies an event to the stream's state and broadcasts it to the stream's local viewers.
    ///
    /// - Parameter assigned: In cluster mode, the id, peak and time the cluster gave the event;
    ///   `nil` numbers it on this node.
    public func publish(_ request: PublishRequest, to streamID: StreamID, assigned: ClusterAssignment? = nil) -> PublishReceipt {
        let receipt = apply(request, to: streamID, assigned: assigned)
        observer.eventPublished(request.event)
        return receipt
    }

    /// Applies an event another node accepted and broadcasts it to the stream's local viewers.
    public func applyClusterEvent(_ request: PublishRequest, to streamID: StreamID, assigned: ClusterAssignment) {
        _ = apply(request, to: streamID, assigned: assigned)
    }

    private func apply(_ request: PublishRequest, to streamID: StreamID, assigned: ClusterAssignment?) -> PublishReceipt {
        let receivedAt = assigned?.receivedAt ?? .now()
        let wallClock = assigned?.wallClock ?? .now()
        let publication = directory.withLock { directory in
            let publication = directory.publish(request, to: streamID, now: .now(), assigned: assigned)
            // Enqueued under the lock, so every loop sees a stream's events in the order they were applied.
            broadcast(
                encoder.published(request, to: streamID, as: publication, at: wallClock),
                to: streamID, eventID: publication.eventID, event: request.event.rawValue, receivedAt: receivedAt
            )
            return publication
        }
        return PublishReceipt(streamID: streamID, eventID: publication.eventID, timestamp: wallClock, viewersLocal: publication.viewers)
    }

    /// Sends `viewer_count_changed` to every stream whose count changed since the last call.
    public func announceViewerCounts() {
        let now = NIODeadline.now()
        let wallClock = Timestamp.now()
        directory.withLock { directory in
            for change in directory.takeCountChanges() {
                broadcast(
                    encoder.viewerCount(change, at: wallClock),
                    to: change.streamID, eventID: nil, event: EventName.viewerCountChanged, receivedAt: now
                )
            }
        }
    }

    private func broadcast(_ frame: ByteBuffer, to streamID: StreamID, eventID: UInt64?, event: String, receivedAt: NIODeadline) {
        let delivery = Delivery(
            streamID: streamID, frame: frame, eventID: eventID, event: event,
            receivedAt: receivedAt, loops: fanouts.count, observer: observer
        )
        for fanout in fanouts { fanout.enqueue(delivery) }
    }

    // MARK: State

    public func state(of streamID: StreamID) -> StreamSnapshot {
        directory.withLock { $0.snapshot(of: streamID, wallClock: .now()) }
    }

    /// Streams with viewers (on any node), busiest first.
    public func busiestStreams(limit: Int) -> [StreamSnapshot] {
        directory.withLock { $0.busiest(limit: limit, wallClock: .now()) }
    }

    /// Streams with at least one viewer on this node.
    public var activeStreams: Int { directory.withLock { $0.activeStreams } }

    /// Each stream with viewers on this node and their number; a copy, so callers sort and format without holding the lock.
    public func viewerCounts() -> [(StreamID, Int)] {
        directory.withLock { $0.viewerCounts() }
    }

    // MARK: Cluster

    /// This node's per-stream counts that changed since the last call.
    public func takeLocalCountChanges() -> [StreamID: LocalStreamCount] {
        directory.withLock { $0.takeLocalCountChanges() }
    }

    /// Every stream with viewers on this node.
    public func localCounts() -> [StreamID: LocalStreamCount] {
        directory.withLock { $0.localCounts() }
    }

    /// Sets the viewers the other nodes report for each stream; totals and peaks follow.
    public func setRemoteViewers(_ counts: [StreamID: Int]) {
        guard !counts.isEmpty else { return }
        directory.withLock { $0.setRemoteViewers(counts, now: .now()) }
    }

    /// Takes the cluster's stored state of a stream where it is at least as new as this node's.
    public func merge(_ stored: StoredStreamState, into streamID: StreamID) {
        directory.withLock { $0.merge(stored, into: streamID, now: .now()) }
    }

    /// Whether the stream's state was read from the cluster since this node first saw it.
    public func isSynced(_ streamID: StreamID) -> Bool {
        directory.withLock { $0.isSynced(streamID) }
    }

    /// Marks every known stream as needing a new read from the cluster; returns them.
    public func markAllUnsynced() -> [StreamID] {
        directory.withLock { $0.markAllUnsynced() }
    }

    /// Forgets streams idle for ``HubConfiguration/streamStateTTL``.
    @discardableResult
    public func forgetIdleStreams() -> Int {
        directory.withLock { $0.forgetIdle(now: .now(), ttl: configuration.streamStateTTL) }
    }

    // MARK: Heartbeat

    /// How often each loop sweeps its viewers' heartbeats, so pings and reaping are that late at most.
    /// Short, so each sweep's burst of pings is short too: with 10,000 viewers pinged every 20 s, 5
    /// pings (25 ms sweeps, 12 pings, put many-streams p99 11% higher in side-by-side runs).
    static let heartbeatSweepInterval = Duration.milliseconds(10)

    /// Starts the heartbeat sweep of every loop, a timer on the loop itself (no thread hop per
    /// tick); cancel the returned tasks to stop them.
    func startHeartbeatSweeps() -> [RepeatedTask] {
        fanouts.map { $0.startHeartbeatSweep() }
    }

    // MARK: Readiness and draining

    /// `false` while draining or at the connection limit: new viewers would be refused.
    public var isReady: Bool { !draining && connections < configuration.maxConnections }

    public var draining: Bool { isDraining.load(ordering: .relaxed) }

    /// Refuses new viewers from now on.
    public func beginDraining() {
        isDraining.store(true, ordering: .relaxed)
    }

    /// Closes up to `limit` open viewers with 1001, spread over the loops; returns how many stay open.
    func closeViewers(limit: Int) async -> Int {
        var stillOpen = 0
        var budget = limit
        for fanout in fanouts {
            let share = budget
            let counts = try? await fanout.eventLoop.submit { () -> (open: Int, closed: Int) in
                let viewers = fanout.allViewers().filter(\.isOpen)
                for viewer in viewers.prefix(share) { viewer.close(.goingAway, cause: .shutdown) }
                return (viewers.count, min(share, viewers.count))
            }.get()
            stillOpen += (counts?.open ?? 0) - (counts?.closed ?? 0)
            budget -= counts?.closed ?? 0
        }
        return stillOpen
    }
}

/// What the publisher is told about an accepted event.
public struct PublishReceipt: Sendable {
    public let streamID: StreamID
    public let eventID: UInt64
    public let timestamp: Timestamp
    /// The stream's viewers on this node when the event was accepted.
    public let viewersLocal: Int
}
