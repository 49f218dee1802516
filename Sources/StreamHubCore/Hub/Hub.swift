import Logging
import NIOCore
import Synchronization

/// The hub on one node: viewers by stream, their state, admission and publishing.
///
/// Publishing numbers each event (here, or through the ``Broker``), encodes it once and hands every
/// event loop that holds viewers of the stream one ``Delivery``; the loops write it to their
/// viewers. No actor and no per-viewer task sits on the broadcast path. The API is the same on one
/// node and in a cluster: what crosses nodes goes through ``broker`` alone.
public final class Hub: Sendable {
    public let configuration: HubConfiguration
    let logger: Logger
    let observer: any HubObserver
    let encoder: MessageEncoder
    /// Numbers events and shares them, state and counts with other nodes (``LocalBroker`` on one node).
    public let broker: any Broker
    /// Who may watch which stream; `nil` lets anyone watch any stream.
    public let authenticator: (any ViewerAuthenticator)?

    let directory: StreamShards
    private let fanouts: [LoopFanout]
    private let viewerEnvironment: ViewerEnvironment
    /// Reads of the broker's store, shared by the viewers that join or resume a stream at once.
    private let storeReads: StoreReads
    /// Viewer slots taken, counted from admission until the socket closes.
    private let openConnections = Atomic<Int>(0)
    private let isDraining = Atomic<Bool>(false)
    private let clientLimits: ClientLimits
    /// How late the loops' heartbeat sweeps ran, for the `scheduling_lag` check.
    let loopLag = LoopLag()

    /// - Parameters:
    ///   - configuration: Limits and timings.
    ///   - eventLoopGroup: The group whose loops own the viewer channels.
    ///   - broker: What crosses nodes; attached to this hub here.
    ///   - authenticator: Checks viewer tokens; `nil` lets anyone watch.
    ///   - logger: Hub-wide logger; per-connection events are logged at debug.
    ///   - observer: Receives counts and timings for metrics.
    public init(
        configuration: HubConfiguration,
        eventLoopGroup: any EventLoopGroup,
        broker: any Broker = LocalBroker(),
        authenticator: (any ViewerAuthenticator)? = nil,
        logger: Logger,
        observer: any HubObserver = NoHubObserver()
    ) {
        self.configuration = configuration
        self.logger = logger
        self.observer = observer
        self.encoder = MessageEncoder(allocator: ByteBufferAllocator())
        self.broker = broker
        self.authenticator = authenticator
        let directory = StreamShards(historySize: configuration.historySize, historyTTL: configuration.historyTTL)
        self.directory = directory
        self.storeReads = StoreReads(broker: broker, directory: directory, encoder: encoder, logger: logger)
        self.clientLimits = ClientLimits(perAddress: configuration.maxConnectionsPerIP, rate: configuration.maxConnectRate)
        let horizon = max(configuration.pingInterval, configuration.pongTimeout)
        let fanouts = eventLoopGroup.makeIterator().enumerated().map { index, loop in
            LoopFanout(eventLoop: loop, index: index, heartbeatSlot: Self.heartbeatSlot, heartbeatHorizon: horizon)
        }
        self.fanouts = fanouts
        self.viewerEnvironment = ViewerEnvironment(
            configuration: configuration, encoder: encoder, directory: directory, fanouts: fanouts, logger: logger, observer: observer)
        broker.attach(BrokerContext(hub: self))
    }

    // MARK: Viewers

    /// Open viewer connections, including upgrades in progress.
    public var connections: Int { openConnections.load(ordering: .relaxed) }

    /// Takes a connection slot for `channel` (and one of its client's, under `--max-connections-per-ip`)
    /// until it closes, or says (and counts) why not; the connect rate is checked last.
    public func admit(
        streamID rawID: String, origin: String?, client: ClientAddress? = nil, channel: any Channel
    ) -> Result<StreamID, ViewerRejection> {
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
        guard clientLimits.takeSlot(of: client, until: channel) else { return refuse(.perIP) }
        guard clientLimits.takeConnectToken() else { return refuse(.rate) }
        return .success(streamID)
    }

    /// What a viewer's token lets it do with `streamID`: `nil` when viewer authentication is off; a
    /// refusal is counted. Asked after ``admit(streamID:origin:client:channel:)``, so the connect
    /// rate and the limits also bound what checking tokens costs.
    public func authorize(token: Substring?, for streamID: StreamID) -> Result<ViewerGrant?, ViewerAuthFailure> {
        guard let authenticator else { return .success(nil) }
        let result = authenticator.authenticate(token: token, for: streamID, now: .now())
        if case .failure(let failure) = result { observer.viewerRejected(failure.rejection) }
        return result.map { $0 }
    }

    /// Counts a viewer refused before ``admit(streamID:origin:client:channel:)`` (say, for a malformed `since`).
    public func recordRejection(_ rejection: ViewerRejection) {
        observer.viewerRejected(rejection)
    }

    /// Turns a channel whose upgrade response was sent into a viewer of `streamID`; call on the channel's event loop.
    ///
    /// Adds the viewer's handler, which reads frames itself (over 4 KiB are refused) and sends
    /// `stream_state` at once, then, resuming from `resume`, the events it missed; with a `grant`, it
    /// is closed with `4001` when the grant expires. There is no frame
    /// encoder: the hub writes ready-made frames. The receive buffer shrinks to 256 bytes and the
    /// write-buffer high water mark becomes ``HubConfiguration/maxQueuedBytes``. Call
    /// ``loadState(of:resuming:on:)`` first, so that `stream_state` is what every node would say.
    public func attachViewer(
        of streamID: StreamID, resuming resume: ResumePoint? = nil, grant: ViewerGrant? = nil, to channel: any Channel
    ) throws {
        let options = channel.syncOptions
        // NIO keeps a buffer for each read of a turn, for the connection's life: a viewer, which reads
        // little more than pongs, keeps one (a long upgrade request took several) and never grows it.
        try options?.setOption(.maxMessagesPerRead, value: 1)
        try options?.setOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 256))
        try options?.setOption(.writeBufferWaterMark, value: ViewerHandler.queueLimit(viewerEnvironment.maxQueuedBytes))
        // The token's expiry on the monotonic clock the heartbeat runs on.
        let expiresAt = grant.map { NIODeadline.now() + .milliseconds($0.expiresAt.millisecondsSince1970 - Timestamp.now().millisecondsSince1970) }
        try channel.pipeline.syncOperations.addHandler(
            ViewerHandler(streamID: streamID, resume: resume, expiresAt: expiresAt, environment: viewerEnvironment))
    }

    // MARK: Publishing

    /// Accepts an event, through the broker, and broadcasts it to the stream's viewers on this node.
    ///
    /// On one node the receipt is ready when this returns; in a cluster it comes when the broker
    /// has numbered the event (on the broker's loop, in its order) and the event was handed to this
    /// node's loops. It never fails: an event the broker cannot take is numbered here (`local_only`).
    public func submit(_ request: PublishRequest, to streamID: StreamID) -> PublishOutcome {
        let receivedAt = NIODeadline.now()
        observer.eventPublished(request.event)
        switch broker.accept(request, to: streamID, local: { state(of: streamID) }) {
        case .numberHere(let reach):
            return .accepted(apply(request, to: streamID, numbered: nil, receivedAt: receivedAt, reach: reach))
        case .numbered(let assigned):
            return .numbering(
                assigned.map { [self] assignment in
                    apply(request, to: streamID, numbered: assignment, receivedAt: receivedAt, reach: assignment == nil ? .localOnly : .published)
                })
        }
    }

    /// ``submit(_:to:)`` with its receipt as a future on `loop` (or on the broker's loop in a cluster).
    public func publish(_ request: PublishRequest, to streamID: StreamID, on loop: any EventLoop) -> EventLoopFuture<PublishReceipt> {
        switch submit(request, to: streamID) {
        case .accepted(let receipt): loop.makeSucceededFuture(receipt)
        case .numbering(let receipt): receipt
        }
    }

    /// ``submit(_:to:)`` from a task.
    public func publish(_ request: PublishRequest, to streamID: StreamID) async throws -> PublishReceipt {
        switch submit(request, to: streamID) {
        case .accepted(let receipt): receipt
        case .numbering(let receipt): try await receipt.get()
        }
    }

    /// Applies an event to the stream's state and broadcasts it; `numbered` is what the broker
    /// assigned, `nil` numbers it here.
    @discardableResult
    func apply(
        _ request: PublishRequest, to streamID: StreamID, numbered: EventAssignment?, receivedAt: NIODeadline, reach: PublishReach = .published
    ) -> PublishReceipt {
        let wallClock = numbered?.wallClock ?? .now()
        let encoder = self.encoder
        let (publication, queued) = directory.withStream(streamID) { directory in
            let (publication, frame) = directory.publish(request, to: streamID, now: .now(), assigned: numbered) { publication in
                LazyFrame {
                    encoder.published(request, to: streamID, eventID: publication.eventID, peakViewers: publication.peakViewers, at: wallClock)
                }
            }
            let queued = enqueue(
                to: publication.viewersPerLoop, streamID: streamID, eventID: publication.eventID, event: request.event.rawValue,
                receivedAt: receivedAt, frame: frame)
            return (publication, queued)
        }
        queued.send()
        return PublishReceipt(
            streamID: streamID, eventID: publication.eventID, epoch: publication.epoch, timestamp: wallClock, viewersLocal: publication.viewers,
            reach: reach)
    }

    /// Sends `viewer_count_changed` to every stream whose count changed since the last call.
    public func announceViewerCounts() {
        let now = NIODeadline.now()
        let wallClock = Timestamp.now()
        let encoder = self.encoder
        for change in directory.takeCountChanges() {
            // Takes no id, so its order against the stream's events does not matter.
            enqueue(
                to: change.viewersPerLoop, streamID: change.streamID, eventID: nil, event: EventName.viewerCountChanged, receivedAt: now,
                frame: LazyFrame { encoder.viewerCount(change, at: wallClock) }
            ).send()
        }
    }

    /// Queues a message for the loops that hold viewers of the stream; ``QueuedBroadcast/send()`` it
    /// once out of the lock that ordered it.
    private func enqueue(
        to viewersPerLoop: [Int], streamID: StreamID, eventID: UInt64?, event: String, receivedAt: NIODeadline, frame: LazyFrame
    ) -> QueuedBroadcast {
        let targets = viewersPerLoop.indices.filter { viewersPerLoop[$0] > 0 }
        let delivery = Delivery(
            streamID: streamID, eventID: eventID, event: event, receivedAt: receivedAt, loops: targets.count, observer: observer, frame: frame)
        var wake: [LoopFanout] = []
        for index in targets where fanouts[index].enqueue(delivery) { wake.append(fanouts[index]) }
        return QueuedBroadcast(delivery: delivery, loopsToWake: wake)
    }

    /// A delivery in the loops' queues, not yet encoded, and the loops that must be woken for it.
    private struct QueuedBroadcast: Sendable {
        let delivery: Delivery
        let loopsToWake: [LoopFanout]

        /// Encodes the message (unless a loop got to it first) and wakes the loops.
        func send() {
            _ = delivery.frame
            for fanout in loopsToWake { fanout.wake() }
        }
    }

    // MARK: State

    /// The stream's state as this node knows it.
    public func state(of streamID: StreamID) -> StreamSnapshot {
        directory.withStream(streamID) { $0.snapshot(of: streamID, wallClock: .now()) }
    }

    /// The stream's state, read from the broker's store first unless this node has it already;
    /// the read creates and renews nothing there.
    public func currentState(of streamID: StreamID) async -> StreamSnapshot {
        if !directory.withStream(streamID, { $0.isSynced(streamID) }) {
            try? await storeReads.read(streamID, for: .lookup, on: fanouts[0].eventLoop).get()
        }
        return state(of: streamID)
    }

    /// Completes (never fails) once this node holds the stream's state as the broker's store has it
    /// and, for a viewer resuming from `resume` further back than this node's history reaches, the
    /// store's history too: read once per stream however many ask at the same moment, and not at
    /// all on a single node or while the store is unreachable. Called before a viewer's `stream_state`.
    public func loadState(of streamID: StreamID, resuming resume: ResumePoint? = nil, on loop: any EventLoop) -> EventLoopFuture<Void> {
        guard broker.isLinkUp == true else { return loop.makeSucceededVoidFuture() }
        let purpose: StateRead? = directory.withStream(streamID) { directory in
            if let resume, configuration.historySize > 0, !directory.canResume(streamID, from: resume, now: .now()),
                directory.storeMayResume(streamID, from: resume)
            {
                return .resume
            }
            return directory.isSynced(streamID) ? nil : .join
        }
        guard let purpose else { return loop.makeSucceededVoidFuture() }
        return storeReads.read(streamID, for: purpose, on: loop)
    }

    /// Re-reads every stream this node knows from the broker's store.
    func reloadAllStates() {
        for streamID in directory.markAllUnsynced() { _ = storeReads.read(streamID, for: .join, on: fanouts[0].eventLoop) }
    }

    /// Streams with viewers (on any node), busiest first.
    public func busiestStreams(limit: Int) -> [StreamSnapshot] {
        directory.busiest(limit: limit, wallClock: .now())
    }

    /// Streams with at least one viewer on this node.
    public var activeStreams: Int { directory.activeStreams }

    /// Each stream with viewers on this node and their number; a copy, so callers sort and format without holding a lock.
    public func viewerCounts() -> [(StreamID, Int)] {
        directory.viewerCounts()
    }

    /// Forgets streams idle for ``HubConfiguration/streamStateTTL``.
    @discardableResult
    public func forgetIdleStreams() -> Int {
        directory.forgetIdle(now: .now(), ttl: configuration.streamStateTTL)
    }

    // MARK: Heartbeat

    /// The heartbeat wheel's slot: a busy loop, which sweeps after each drain, sends at most this
    /// much of the pings due at once, so a publish never waits behind a long burst of them
    /// (BENCHMARKS.md has the lengths tried).
    static let heartbeatSlot = Duration.milliseconds(50)

    /// How often an idle loop sweeps its viewers' heartbeats, so pings and reaping are that late at most.
    static let heartbeatSweepInterval = TimeAmount.milliseconds(50)

    /// Starts the heartbeat sweep timer of every loop, a timer on the loop itself (no thread hop per
    /// tick) that also measures ``loopLag``; cancel the returned tickers to stop them.
    func startHeartbeatSweeps() -> [LoopTicker] {
        fanouts.map { $0.startHeartbeatSweep(every: Self.heartbeatSweepInterval, lag: loopLag) }
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
