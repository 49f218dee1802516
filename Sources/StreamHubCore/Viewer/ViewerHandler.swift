import Logging
import NIOCore
import NIOWebSocket

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One viewer's WebSocket connection, from the upgrade until its socket closes; lives on its channel's event loop.
///
/// Glue between the channel and three decisions made elsewhere: the RFC 6455 frames
/// (``ViewerStateMachine``), the heartbeat (``HeartbeatPolicy``, swept by the loop's
/// ``HeartbeatWheel``) and slow consumers (``StallWatch``). Outbound frames are pre-encoded buffers
/// written by its ``ViewerWriter``; the loop's ``LoopFanout`` hands it its stream's messages.
final class ViewerHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let streamID: StreamID
    /// Where the viewer asked to resume, if it did.
    private let resume: ResumePoint?
    /// When its token expires and it is closed with `4001`; on the heartbeat wheel, so no timer of its own.
    private let expiresAt: NIODeadline?
    /// Position in its ``LoopFanout``'s list for this stream; maintained by the fanout.
    var indexInLoop = 0

    private let environment: ViewerEnvironment
    private var context: ChannelHandlerContext?
    private var writer: ViewerWriter?
    private var fanout: LoopFanout?
    private var protocolState = ViewerStateMachine()
    private var cause: ViewerCloseCause?
    private var heartbeat: HeartbeatPolicy
    /// Nothing is due for the heartbeat (or the token's expiry) before this; the loop's
    /// ``HeartbeatWheel`` keeps the viewer in its slot.
    private(set) var heartbeatDue: NIODeadline
    private var closeTimer: Scheduled<Void>?
    /// The events its `stream_state` covered, skipped when a loop still writes them.
    private var cursor = JoinCursor(coveredThrough: 0)
    private var frames = ViewerFrameReader(maxFrameSize: HubConfiguration.maxViewerMessageBytes)
    private var stall = StallWatch()
    private var stallTimer: Scheduled<Void>?

    init(streamID: StreamID, resume: ResumePoint?, expiresAt: NIODeadline? = nil, environment: ViewerEnvironment) {
        self.streamID = streamID
        self.resume = resume
        self.expiresAt = expiresAt
        self.environment = environment
        let interval = TimeAmount(environment.pingInterval)
        let heartbeat = HeartbeatPolicy(
            interval: interval,
            pongTimeout: TimeAmount(environment.pongTimeout),
            now: .now(),
            firstPingDelay: .nanoseconds(Int64.random(in: 0...max(0, interval.nanoseconds)))
        )
        self.heartbeat = heartbeat
        self.heartbeatDue = min(heartbeat.nextPingAt, expiresAt ?? .distantFuture)
    }

    // MARK: Lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.writer = ViewerWriter(context: context, mode: environment.socketWrites)
        let fanout = environment.fanout(for: context.eventLoop)
        self.fanout = fanout
        let joined = environment.join(streamID, resuming: resume, on: fanout)
        let snapshot = joined.snapshot
        cursor = JoinCursor(coveredThrough: snapshot.lastEventID)
        fanout.add(self)
        let state = environment.encoder.streamState(snapshot, recovered: resume.map { _ in joined.replay != nil })
        if let replay = joined.replay, !replay.isEmpty {
            let frames = [state] + replay.map(\.frame)
            allowReplay(bytes: frames.reduce(0) { $0 + $1.readableBytes })
            send(frames)
        } else {
            send(CollectionOfOne(state))
        }
        environment.logger.debug(
            "Viewer joined",
            metadata: [
                "stream.id": "\(streamID)", "viewers": "\(snapshot.viewerCount)",
                "socket.writes": "\(writer?.writesDirectly == true ? SocketWrites.direct : .channel)",
            ]
        )
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        finish()
    }

    private func finish() {
        guard protocolState.state != .closed else { return }
        protocolState.socketClosed()
        stallTimer?.cancel()
        closeTimer?.cancel()
        if let fanout {
            fanout.remove(self)
            environment.leave(streamID, on: fanout, cause: cause ?? .client)
        }
        environment.logger.debug("Viewer left", metadata: ["stream.id": "\(streamID)", "close.cause": "\((cause ?? .client).rawValue)"])
        context = nil
        writer = nil
    }

    var isOpen: Bool { protocolState.state == .open }

    // MARK: Outbound (called by LoopFanout)

    /// Writes the messages of a batch for this viewer's stream that its ``JoinCursor`` wants, in one
    /// system call, with a ping that is due soon ahead of them; returns which it wrote.
    func write(_ messages: [OutboundMessage], now: NIODeadline) -> DeliveryIndices {
        var wanted = DeliveryIndices()
        guard isOpen else { return wanted }
        for (index, message) in messages.enumerated() where cursor.wants(message.eventID) { wanted.insert(index) }
        guard !wanted.isEmpty else { return wanted }
        let ping = heartbeat.pingAhead(now: now).map { makePing($0, now: now) }
        if ping == nil, wanted.count == messages.count {
            send(messages.lazy.map { $0.frame })
        } else {
            // Once per ping interval, or for a viewer that joined while its batch was queued.
            var frames = ping.map { [$0] } ?? []
            for (index, message) in messages.enumerated() where wanted.contains(index) { frames.append(message.frame) }
            send(frames)
        }
        return wanted
    }

    private func send(_ frames: some Collection<ByteBuffer>) {
        guard let writer, writer.send(frames) else { return }
        watchQueue()
    }

    // MARK: Slow consumers

    /// The channel's write-buffer water marks for a queue limit of `bytes`: past `high` the viewer is a slow consumer.
    static func queueLimit(_ bytes: Int) -> WriteBufferWaterMark {
        WriteBufferWaterMark(low: bytes / 2, high: bytes)
    }

    /// Whether the queue limit is raised for a replay.
    private var replaying = false

    /// A replay may hold more than `--max-queued-bytes` in the queue at once: its frames are the
    /// history's, shared, not copies. The limit is raised by its size until the queue is back
    /// under the usual limit; the write timeout still applies.
    private func allowReplay(bytes: Int) {
        guard let options = context?.channel.syncOptions else { return }
        try? options.setOption(.writeBufferWaterMark, value: Self.queueLimit(environment.maxQueuedBytes + bytes))
        replaying = true
    }

    /// Back to the usual limit once the queue is under it.
    private func endReplayIfDrained(queued: Int) {
        guard replaying, queued <= environment.maxQueuedBytes else { return }
        replaying = false
        try? context?.channel.syncOptions?.setOption(.writeBufferWaterMark, value: Self.queueLimit(environment.maxQueuedBytes))
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        // The high water mark is `maxQueuedBytes`: crossing it is the slow-consumer limit.
        if !context.channel.isWritable {
            close(.slowConsumer, cause: .slowConsumer)
        }
        context.fireChannelWritabilityChanged()
    }

    /// Starts watching when data stays queued after a write.
    private func watchQueue() {
        guard isOpen, !stall.isWatching, let writer else { return }
        stall.start(written: writer.written)
        scheduleStallCheck()
    }

    private func scheduleStallCheck() {
        guard let loop = context?.eventLoop.assumeIsolated() else { return }
        stallTimer = loop.scheduleTask(in: TimeAmount(environment.writeTimeout)) { self.checkStall() }
    }

    private func checkStall() {
        guard isOpen, let writer else { return }
        let queued = writer.queuedBytes
        endReplayIfDrained(queued: queued)
        switch stall.check(queued: queued, written: writer.written) {
        case .drained: break
        case .progressing: scheduleStallCheck()
        case .stalled: close(.slowConsumerStalled, cause: .slowConsumer)
        }
    }

    // MARK: Heartbeat

    /// Pings, or reaps a viewer silent since its last ping; called by the loop's sweep (see ``LoopFanout``).
    func heartbeatTick(now: NIODeadline) {
        guard isOpen, now >= heartbeatDue, let context else { return }
        if let expiresAt, now >= expiresAt { return close(.tokenExpired, cause: .tokenExpired) }
        switch heartbeat.next(now: now) {
        case .sendPing(let payload):
            send(CollectionOfOne(makePing(payload, now: now)))
        case .wait(let deadline):
            setHeartbeatDue(deadline)
        case .reap:
            environment.logger.debug("Viewer reaped", metadata: ["stream.id": "\(streamID)"])
            cause = .reaped
            context.close(promise: nil)
        }
    }

    /// The frame of a ping the heartbeat recorded as sent; moves ``heartbeatDue`` to its pong deadline.
    private func makePing(_ payload: UInt64, now: NIODeadline) -> ByteBuffer {
        if case .wait(let deadline) = heartbeat.next(now: now) { setHeartbeatDue(deadline) }
        return ServerFrame.ping(payload, allocator: ByteBufferAllocator())
    }

    /// The viewer's next turn on the wheel: its heartbeat's deadline, or its token's expiry if sooner.
    private func setHeartbeatDue(_ deadline: NIODeadline) {
        heartbeatDue = min(deadline, expiresAt ?? .distantFuture)
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        frames.append(&bytes)
        do {
            while protocolState.state != .closed, let piece = try frames.next() {
                heartbeat.heard(at: .now())
                perform(protocolState.received(piece), context: context)
            }
        } catch {
            perform(protocolState.readFailed(tooBig: error == .tooBig), context: context)
        }
    }

    private func perform(_ action: ViewerStateMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .sendPong(let payload):
            send(CollectionOfOne(ServerFrame.make(.pong, payload: payload.readableBytesView, allocator: context.channel.allocator)))
        case .pongReceived(let payload):
            if let roundTrip = heartbeat.pongReceived(payload: payload, at: .now()) {
                environment.observer.heartbeatAnswered(roundTrip: .nanoseconds(roundTrip.nanoseconds))
            }
        case .close(let reason, let cause):
            close(reason, cause: cause)
        case .replyToClose(let reason, let cause):
            self.cause = cause
            stallTimer?.cancel()
            context.writeAndFlush(wrapOutboundOut(ServerFrame.close(reason, allocator: context.channel.allocator))).assumeIsolated()
                .whenComplete { _ in self.context?.close(promise: nil) }
            closeTimer = context.eventLoop.assumeIsolated().scheduleTask(in: .seconds(1)) { self.context?.close(promise: nil) }
        case .closeSocket:
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch error {
        case is IOError, is ChannelError:
            // The peer reset or vanished; its close counts as the viewer leaving.
            context.close(promise: nil)
        default:
            environment.logger.warning("Viewer connection failed", metadata: ["stream.id": "\(streamID)", "error": "\(error)"])
            close(.internalError, cause: .error)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case ChannelEvent.inputClosed:
            context.close(promise: nil)
        case is ChannelShouldQuiesceEvent:
            close(.goingAway, cause: .shutdown)
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    // MARK: Closing

    /// Sends a close frame and closes the socket when the viewer answers or after one second.
    ///
    /// A slow consumer's socket is reset instead, since its close frame sits behind data it is not reading.
    func close(_ reason: CloseReason, cause: ViewerCloseCause) {
        guard let context, protocolState.startClosing() else { return }
        self.cause = cause
        stallTimer?.cancel()
        environment.logger.debug(
            "Closing viewer",
            metadata: ["stream.id": "\(streamID)", "close.code": "\(reason.code)", "close.cause": "\(cause.rawValue)"]
        )
        context.writeAndFlush(wrapOutboundOut(ServerFrame.close(reason, allocator: context.channel.allocator)), promise: nil)
        let reset = cause == .slowConsumer
        closeTimer = context.eventLoop.assumeIsolated().scheduleTask(in: .seconds(1)) {
            guard let context = self.context else { return }
            guard reset, let socket = context.channel as? any SocketOptionProvider else {
                return context.close(promise: nil)
            }
            let channel = context.channel
            socket.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
