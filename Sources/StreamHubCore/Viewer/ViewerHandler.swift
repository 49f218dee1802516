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
/// Outbound frames are pre-encoded buffers written below any frame encoder. Inbound, it answers
/// pings, times pongs, enforces the message size limit and follows the close handshake; data
/// messages are read and ignored.
final class ViewerHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum State {
        case open
        case closing
        case closed
    }

    let streamID: StreamID
    /// Position in its ``LoopFanout``'s list for this stream; maintained by the fanout.
    var indexInLoop = 0

    private let hub: Hub
    private var context: ChannelHandlerContext?
    /// The viewer's channel. Its pipeline holds no handler but this one (see ``Hub/attachViewer(of:to:)``),
    /// so frames the socket does not take at once go to the channel's own write path (NIO's
    /// `_channelCore`, as the pipeline's head handler does).
    private var channel: (any Channel)?
    /// Frames go straight to the socket while the channel's queue is empty; `nil` when the channel is
    /// not a socket SwiftNIO lets us write to, and everything goes through the channel.
    private var socket: ViewerSocket?
    /// Set when bytes were handed to the channel, until its queue is seen empty.
    private var channelMayHoldBytes = false
    private var fanout: LoopFanout?
    private var state = State.open
    private var cause: ViewerCloseCause?
    private var heartbeat: HeartbeatPolicy
    /// Nothing is due for the heartbeat before this; the loop's ``HeartbeatWheel`` keeps the viewer in its slot.
    private(set) var heartbeatDue: NIODeadline
    private var closeTimer: Scheduled<Void>?
    /// The events its `stream_state` covered, skipped when a loop still writes them.
    private var cursor = JoinCursor(coveredThrough: 0)
    private var frames = ViewerFrameReader(maxFrameSize: HubConfiguration.maxViewerMessageBytes)
    /// Bytes of the data message being received, across its fragments; `nil` between messages.
    private var messageBytes: Int?
    private var bytesWritten = 0
    /// Set while data is queued: the byte count that must be sent to make progress, and since when.
    private var stall: (mustSend: Int, since: NIODeadline)?
    private var stallTimer: Scheduled<Void>?

    init(streamID: StreamID, hub: Hub) {
        self.streamID = streamID
        self.hub = hub
        let interval = TimeAmount(hub.configuration.pingInterval)
        let heartbeat = HeartbeatPolicy(
            interval: interval,
            pongTimeout: TimeAmount(hub.configuration.pongTimeout),
            now: .now(),
            firstPingDelay: .nanoseconds(Int64.random(in: 0...max(0, interval.nanoseconds)))
        )
        self.heartbeat = heartbeat
        self.heartbeatDue = heartbeat.nextPingAt
    }

    // MARK: Lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.channel = context.channel
        self.socket = ViewerSocket(of: context.channel)
        let fanout = hub.fanout(for: context.eventLoop)
        self.fanout = fanout
        let snapshot = hub.viewerJoined(streamID, on: fanout)
        cursor = JoinCursor(coveredThrough: snapshot.lastEventID)
        fanout.add(self)
        send(CollectionOfOne(hub.encoder.streamState(snapshot)))
        hub.logger.debug("Viewer joined", metadata: ["stream.id": "\(streamID)", "viewers": "\(snapshot.viewerCount)"])
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        finish()
    }

    private func finish() {
        guard state != .closed else { return }
        state = .closed
        stallTimer?.cancel()
        closeTimer?.cancel()
        if let fanout {
            fanout.remove(self)
            hub.viewerLeft(streamID, on: fanout, cause: cause ?? .client)
        }
        hub.logger.debug("Viewer left", metadata: ["stream.id": "\(streamID)", "close.cause": "\((cause ?? .client).rawValue)"])
        context = nil
        channel = nil
    }

    var isOpen: Bool { state == .open }

    // MARK: Outbound (called by LoopFanout)

    /// Writes the messages of a batch for this viewer's stream that its ``JoinCursor`` wants, in one
    /// system call, with a ping that is due soon ahead of them; returns which it wrote.
    func write(_ messages: [OutboundMessage], now: NIODeadline) -> DeliveryIndices {
        var wanted = DeliveryIndices()
        guard state == .open else { return wanted }
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

    /// Sends `frames` now: straight to the socket while the channel's queue is empty, and what the
    /// socket does not take (or everything, while the queue holds bytes) through the channel.
    private func send(_ frames: some Collection<ByteBuffer>) {
        guard let core = channel?._channelCore else { return }
        var sent = 0
        if let socket, !channelHoldsBytes() { sent = socket.send(frames) }
        var handedToChannel = false
        for var frame in frames {
            bytesWritten += frame.readableBytes
            if sent >= frame.readableBytes {
                sent -= frame.readableBytes
                continue
            }
            frame.moveReaderIndex(forwardBy: sent)
            sent = 0
            core.write0(wrapOutboundOut(frame), promise: nil)
            handedToChannel = true
        }
        guard handedToChannel else { return }
        channelMayHoldBytes = true
        core.flush0()
        watchQueue()
    }

    private func channelHoldsBytes() -> Bool {
        guard channelMayHoldBytes else { return false }
        channelMayHoldBytes = queuedBytes > 0
        return channelMayHoldBytes
    }

    // MARK: Slow consumers

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        // The high water mark is `maxQueuedBytes`: crossing it is the slow-consumer limit.
        if !context.channel.isWritable {
            close(.slowConsumer, cause: .slowConsumer)
        }
        context.fireChannelWritabilityChanged()
    }

    /// Starts a stall timer when data stays queued after a flush.
    private func watchQueue() {
        guard state == .open, stall == nil, queuedBytes > 0 else { return }
        stall = (bytesWritten, .now())
        scheduleStallCheck()
    }

    private func scheduleStallCheck() {
        guard let loop = channel?.eventLoop.assumeIsolated() else { return }
        stallTimer = loop.scheduleTask(in: TimeAmount(hub.configuration.writeTimeout)) { self.checkStall() }
    }

    /// Closes the viewer when nothing queued at the start of the window was sent within the write timeout.
    private func checkStall() {
        guard state == .open, let stall else { return }
        let queued = queuedBytes
        if queued == 0 {
            self.stall = nil
        } else if bytesWritten - queued >= stall.mustSend {
            self.stall = (bytesWritten, .now())
            scheduleStallCheck()
        } else {
            close(.slowConsumerStalled, cause: .slowConsumer)
        }
    }

    private var queuedBytes: Int {
        (try? channel?.syncOptions?.getOption(.bufferedWritableBytes)) ?? 0
    }

    // MARK: Heartbeat

    /// Pings, or reaps a viewer silent since its last ping; called by the loop's sweep (see ``LoopFanout``).
    func heartbeatTick(now: NIODeadline) {
        guard state == .open, now >= heartbeatDue, let context else { return }
        switch heartbeat.next(now: now) {
        case .sendPing(let payload):
            send(CollectionOfOne(makePing(payload, now: now)))
        case .wait(let deadline):
            heartbeatDue = deadline
        case .reap:
            hub.logger.debug("Viewer reaped", metadata: ["stream.id": "\(streamID)"])
            cause = .reaped
            context.close(promise: nil)
        }
    }

    /// The frame of a ping the heartbeat recorded as sent; moves ``heartbeatDue`` to its pong deadline.
    private func makePing(_ payload: UInt64, now: NIODeadline) -> ByteBuffer {
        if case .wait(let deadline) = heartbeat.next(now: now) { heartbeatDue = deadline }
        return ServerFrame.ping(payload, allocator: ByteBufferAllocator())
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        frames.append(&bytes)
        do {
            while state != .closed, let frame = try frames.next() { received(frame, context: context) }
        } catch .tooBig {
            close(.messageTooBig, cause: .protocol)
        } catch {
            close(.protocolError, cause: .protocol)
        }
    }

    private func received(_ frame: WebSocketFrame, context: ChannelHandlerContext) {
        heartbeat.heard(at: .now())
        guard frame.maskKey != nil, !frame.rsv1, !frame.rsv2, !frame.rsv3 else {
            close(.protocolError, cause: .protocol)
            return
        }
        switch frame.opcode {
        case .ping:
            if state == .open {
                send(CollectionOfOne(ServerFrame.make(.pong, payload: frame.unmaskedData.readableBytesView, allocator: context.channel.allocator)))
            }
        case .pong:
            var payload = frame.unmaskedData
            if payload.readableBytes == 8, let sent = payload.readInteger(as: UInt64.self),
                let roundTrip = heartbeat.pongReceived(payload: sent, at: .now())
            {
                hub.observer.heartbeatAnswered(roundTrip: .nanoseconds(roundTrip.nanoseconds))
            }
        case .connectionClose:
            receivedClose(frame, context: context)
        case .text, .binary:
            guard messageBytes == nil else { return close(.protocolError, cause: .protocol) }
            countMessageBytes(frame)
        case .continuation:
            guard messageBytes != nil else { return close(.protocolError, cause: .protocol) }
            countMessageBytes(frame)
        default:
            close(.protocolError, cause: .protocol)
        }
    }

    private func countMessageBytes(_ frame: WebSocketFrame) {
        let total = (messageBytes ?? 0) + frame.length
        if total > HubConfiguration.maxViewerMessageBytes {
            close(.messageTooBig, cause: .protocol)
        } else {
            messageBytes = frame.fin ? nil : total
        }
    }

    private func receivedClose(_ frame: WebSocketFrame, context: ChannelHandlerContext) {
        guard state == .open else {
            // The viewer answered our close: the handshake is complete.
            context.close(promise: nil)
            return
        }
        state = .closing
        cause = .client
        var payload = frame.unmaskedData
        let reply: CloseReason
        switch payload.readInteger(as: UInt16.self) {
        case nil: reply = .normal
        case let code? where Self.isValidCloseCode(code): reply = .echo(code: code)
        case _?:
            reply = .protocolError
            cause = .protocol
        }
        let closeFrame = ServerFrame.close(reply, allocator: context.channel.allocator)
        let loop = context.eventLoop.assumeIsolated()
        context.writeAndFlush(wrapOutboundOut(closeFrame)).assumeIsolated().whenComplete { _ in
            self.context?.close(promise: nil)
        }
        closeTimer = loop.scheduleTask(in: .seconds(1)) { self.context?.close(promise: nil) }
    }

    private static func isValidCloseCode(_ code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1011, 3000...4999: true
        default: false
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch error {
        case is IOError, is ChannelError:
            // The peer reset or vanished; its close counts as the viewer leaving.
            context.close(promise: nil)
        default:
            hub.logger.warning("Viewer connection failed", metadata: ["stream.id": "\(streamID)", "error": "\(error)"])
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
        guard state == .open, let context else { return }
        state = .closing
        self.cause = cause
        stallTimer?.cancel()
        hub.logger.debug(
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
