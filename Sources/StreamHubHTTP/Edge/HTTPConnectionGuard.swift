import Logging
import NIOCore
import NIOHTTP1
import StreamHubCore

/// Keeps an HTTP connection (until it is a viewer) within the hub's limits: the request and idle
/// timeouts (``HTTPDeadlines``), the 16 KiB request head (`431`), and malformed requests (`400`);
/// counts it in `streamhub_http_connections`.
///
/// It sits right after the HTTP decoder, so it sees whole requests and answers; its ``ByteTap``, at
/// the front of the pipeline, tells it when bytes arrive. One timer per connection checks the
/// deadline lazily, so a request costs no timer operation.
final class HTTPConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// The largest request head (request line and headers) the hub reads.
    static let maxHeadBytes = 16 * 1024

    private let requestTimeout: TimeAmount
    private let idleTimeout: TimeAmount
    private let metrics: HubMetrics
    private let logger: Logger
    /// Set while the connection is counted and timed: from its start until it closes or becomes a viewer.
    private var deadlines: HTTPDeadlines?
    private var timer: Scheduled<Void>?
    private var refused = false
    /// A refusal waiting for the answers owed before it.
    private var pendingRefusal: (status: HTTPResponseStatus, message: String)?

    init(requestTimeout: Duration, idleTimeout: Duration, metrics: HubMetrics, logger: Logger) {
        self.requestTimeout = TimeAmount(requestTimeout)
        self.idleTimeout = TimeAmount(idleTimeout)
        self.metrics = metrics
        self.logger = logger
    }

    /// Adds the guard after the pipeline's HTTP request decoder and its tap at the front.
    static func install(in channel: any Channel, _ guard: HTTPConnectionGuard) throws {
        let pipeline = channel.pipeline.syncOperations
        let decoder = try pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
        try pipeline.addHandler(`guard`, position: .after(decoder))
        try pipeline.addHandler(ByteTap(guard: `guard`), position: .first)
    }

    /// Takes the guard, its tap and the plain publish handler, if any, out of a channel that became a viewer.
    static func remove(from channel: any Channel) throws {
        let pipeline = channel.pipeline.syncOperations
        let tap = try pipeline.handler(type: ByteTap.self)
        pipeline.removeHandler(tap, promise: nil)
        pipeline.removeHandler(tap.guard, promise: nil)
        if let plain = try? pipeline.handler(type: PlainPublishHandler.self) { pipeline.removeHandler(plain, promise: nil) }
    }

    // MARK: Lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        stop()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stop()
    }

    private func start(_ context: ChannelHandlerContext) {
        guard deadlines == nil else { return }
        let now = NIODeadline.now()
        deadlines = HTTPDeadlines(requestTimeout: requestTimeout, idleTimeout: idleTimeout, openedAt: now)
        metrics.httpConnection(up: true)
        arm(context, after: now)
    }

    private func stop() {
        timer?.cancel()
        timer = nil
        if deadlines != nil { metrics.httpConnection(up: false) }
        deadlines = nil
    }

    // MARK: Progress

    func bytesArrived() {
        deadlines?.bytesArrived(at: .now())
    }

    /// A request that ``PlainPublishHandler`` read and answered ahead of the decoder.
    func plainRequestAnswered() {
        deadlines?.requestEnded()
        deadlines?.answerWritten(at: .now())
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .end = unwrapInboundIn(data) { deadlines?.requestEnded() }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .end = unwrapOutboundIn(data) else { return context.write(data, promise: promise) }
        deadlines?.answerWritten(at: .now())
        context.write(data, promise: promise)
        if let refusal = pendingRefusal, deadlines?.owesAnswer != true {
            pendingRefusal = nil
            refuse(context, refusal.status, refusal.message)
        }
    }

    private func arm(_ context: ChannelHandlerContext, after now: NIODeadline) {
        guard let deadlines else { return }
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadlines.nextCheck(after: now)) { [self] in
            let now = NIODeadline.now()
            guard let reason = self.deadlines?.expired(at: now) else { return arm(context, after: now) }
            timer = nil
            metrics.httpConnectionClosed(reason)
            logger.debug("HTTP connection timed out", metadata: ["reason": "\(reason.rawValue)"])
            context.close(promise: nil)
        }
    }

    // MARK: Malformed requests

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError else { return context.fireErrorCaught(error) }
        // Bytes after a request that closes its connection: that request's answer ends it anyway.
        guard !refused, parserError != .closedConnection else { return }
        refused = true
        let refusal: (HTTPResponseStatus, String)
        if parserError == .headerOverflow {
            metrics.httpConnectionClosed(.headTooLarge)
            refusal = (.requestHeaderFieldsTooLarge, "request head over \(Self.maxHeadBytes / 1024) KiB")
        } else {
            refusal = (.badRequest, "malformed HTTP request")
        }
        // Answers go out in order: after those of the requests before it.
        if deadlines?.owesAnswer == true {
            pendingRefusal = refusal
        } else {
            refuse(context, refusal.0, refusal.1)
        }
    }

    /// Answers `status` with a JSON error and closes the connection.
    private func refuse(_ context: ChannelHandlerContext, _ status: HTTPResponseStatus, _ message: String) {
        logger.debug("HTTP request refused", metadata: ["status": "\(status.code)", "error": "\(message)"])
        let body = ByteBuffer(bytes: JSONWriter.error(message))
        let headers: HTTPHeaders = ["content-type": "application/json", "content-length": "\(body.readableBytes)", "connection": "close"]
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }
}

extension HTTPConnectionGuard {
    /// Tells its guard when bytes arrive; first in the pipeline.
    final class ByteTap: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer
        let `guard`: HTTPConnectionGuard

        init(guard: HTTPConnectionGuard) {
            self.guard = `guard`
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            `guard`.bytesArrived()
            context.fireChannelRead(data)
        }
    }
}
