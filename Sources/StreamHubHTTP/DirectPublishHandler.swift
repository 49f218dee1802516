import HTTPTypes
import NIOCore
import NIOHTTPTypes
import StreamHubCore

/// Answers publishes on the event loop, below Hummingbird's router, on one node and in a cluster.
///
/// A small publish spent more time in the framework (an async request, routing, a response
/// writer) than in the hub and its writes to viewers. This handler takes the common request,
/// `POST /api/v1/streams/{stream_id}/events` with a `Content-Length` of up to 64 KiB and no
/// `Expect`, and answers it through ``PublishEndpoint`` exactly as the route would. Every other
/// request passes through to Hummingbird. On a single node ``PlainPublishHandler`` answers most
/// publishes before they reach the decoder; this handler takes those it leaves to the pipeline.
///
/// Answers keep the order of the requests: a request that arrives while Hummingbird owes an answer
/// passes through too, and one for Hummingbird that arrives while publishes wait for the broker is
/// held until their answers are written. It sits behind Hummingbird's `HTTPConnectionStateHandler`,
/// which so sees every request and answer (idle timeout, quiesce).
///
/// Backpressure: it stops reading while the channel is not writable (the HTTP channel's high water
/// mark, 64 KiB of answers the client has not read), while requests are held, or while
/// ``maxWaitingAnswers`` publishes wait for the broker; it reads again when that clears.
final class DirectPublishHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// Publishes of one connection waiting for the broker before it stops reading.
    static let maxWaitingAnswers = 64

    private enum State {
        case idle
        case collecting(HTTPRequest, streamID: Substring)
        case passing
    }

    /// A publish's answer, in request order; `nil` until the broker has numbered the event.
    private final class PendingAnswer {
        let closesConnection: Bool
        var answer: (HTTPResponse, [UInt8])?

        init(closesConnection: Bool) {
            self.closesConnection = closesConnection
        }
    }

    private let endpoint: PublishEndpoint
    private var state = State.idle
    /// The body of the request being collected.
    private var body: ByteBuffer?
    /// Requests passed to Hummingbird whose answers have not ended yet.
    private var answersOwed = 0
    /// Publishes not answered yet, oldest first.
    private var waiting = CircularBuffer<PendingAnswer>()
    /// Request parts held back until ``waiting`` is empty, so that Hummingbird answers after it.
    private var held = CircularBuffer<HTTPRequestPart>()
    /// A `read()` was withheld and is owed once the backpressure clears.
    private var readWithheld = false
    private var closing = false

    init(endpoint: PublishEndpoint) {
        self.endpoint = endpoint
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if !held.isEmpty {
            held.append(part)
            return
        }
        handle(part, context: context)
    }

    private func handle(_ part: HTTPRequestPart, context: ChannelHandlerContext) {
        switch (part, state) {
        case (.head(let head), .idle):
            if answersOwed == 0, let streamID = Self.directStreamID(head) {
                state = .collecting(head, streamID: streamID)
                return
            }
            if !waiting.isEmpty {
                held.append(part)
                return
            }
            answersOwed += 1
            state = .passing
        case (.body(let chunk), .collecting):
            if body == nil { body = chunk } else { body!.writeImmutableBuffer(chunk) }
            return
        case (.end, .collecting(let head, let streamID)):
            state = .idle
            let collected = body ?? ByteBuffer()
            body = nil
            publish(head, streamID: streamID, body: collected, context: context)
            return
        case (.end, .passing):
            state = .idle
        default:
            break
        }
        context.fireChannelRead(wrapInboundOut(part))
    }

    /// The unvalidated stream id of a request this handler answers itself, or `nil` to pass it on.
    private static func directStreamID(_ head: HTTPRequest) -> Substring? {
        guard head.method == .post, head.headerFields[.expect] == nil,
            let length = head.headerFields[.contentLength].flatMap({ Int($0) }), length <= PublishRequest.maxBodyBytes,
            let path = head.path
        else { return nil }
        return PublishEndpoint.streamID(path: path)
    }

    // MARK: Answering

    private func publish(_ head: HTTPRequest, streamID rawID: Substring, body: ByteBuffer, context: ChannelHandlerContext) {
        let pending = PendingAnswer(closesConnection: head.headerFields[.connection] == "close")
        waiting.append(pending)
        let answer: EventLoopFuture<(HTTPResponse, [UInt8])>
        do {
            let streamID = try endpoint.check(authorization: head.headerFields[.authorization], streamID: rawID, contentLength: nil)
            let request = try PublishEndpoint.parse(body)
            answer = endpoint.publish(request, to: streamID, on: context.eventLoop).map { (HTTPResponse(status: .accepted), $0) }
        } catch {
            answer = context.eventLoop.makeSucceededFuture(
                (HTTPResponse(status: error.status, headerFields: error.headers), JSONWriter.error(error.message)))
        }
        // On one node the answer is ready and written here, before the next request is read.
        answer.hop(to: context.eventLoop).assumeIsolated().whenSuccess { response in
            pending.answer = response
            self.writeReadyAnswers(context: context)
        }
    }

    /// Writes the answers at the head of ``waiting`` that are ready; then replays held requests.
    private func writeReadyAnswers(context: ChannelHandlerContext) {
        var wrote = false
        while !closing, let first = waiting.first, let (response, json) = first.answer {
            waiting.removeFirst()
            write(response, json, closing: first.closesConnection, context: context)
            wrote = true
        }
        if wrote { context.flush() }
        if closing {
            context.close(promise: nil)
            return
        }
        while waiting.isEmpty, let part = held.popFirst() { handle(part, context: context) }
        resumeReadingIfClear(context: context)
    }

    private func write(_ response: HTTPResponse, _ json: [UInt8], closing: Bool, context: ChannelHandlerContext) {
        var response = response
        response.headerFields[.contentType] = "application/json"
        response.headerFields[.contentLength] = String(json.count)
        response.headerFields[.date] = HTTPDate.now
        if closing {
            response.headerFields[.connection] = "close"
            self.closing = true
        }
        context.write(wrapOutboundOut(.head(response)), promise: nil)
        context.write(wrapOutboundOut(.body(context.channel.allocator.buffer(bytes: json))), promise: nil)
        context.write(wrapOutboundOut(.end(nil)), promise: nil)
    }

    // MARK: Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { answersOwed = max(0, answersOwed - 1) }  // A parse error is answered unasked.
        context.write(data, promise: promise)
    }

    // MARK: Backpressure

    func read(context: ChannelHandlerContext) {
        if mustPause(context) {
            readWithheld = true
        } else {
            context.read()
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        resumeReadingIfClear(context: context)
        context.fireChannelWritabilityChanged()
    }

    private func mustPause(_ context: ChannelHandlerContext) -> Bool {
        !context.channel.isWritable || !held.isEmpty || waiting.count >= Self.maxWaitingAnswers
    }

    private func resumeReadingIfClear(context: ChannelHandlerContext) {
        guard readWithheld, !mustPause(context) else { return }
        readWithheld = false
        context.read()
    }
}
