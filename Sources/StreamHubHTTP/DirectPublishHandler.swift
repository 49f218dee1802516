import HTTPTypes
import NIOCore
import NIOHTTPTypes
import StreamHubCore

/// Answers a single node's publishes on the event loop, below Hummingbird's router.
///
/// A small publish spent more time in the framework (an async request, routing, a response
/// writer) than in the hub and its writes to viewers. This handler takes the common request,
/// `POST /api/v1/streams/{stream_id}/events` with a `Content-Length` of up to 64 KiB and no
/// `Expect`, and answers it through ``PublishEndpoint`` exactly as the route would. Every other
/// request passes through to Hummingbird, and so does every request that arrives while
/// Hummingbird still owes the connection an answer, so answers keep their order.
final class DirectPublishHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private enum State {
        case idle
        case collecting(HTTPRequest, streamID: Substring)
        case passing
    }

    private let endpoint: PublishEndpoint
    private var state = State.idle
    /// The body of the request being collected.
    private var body: ByteBuffer?
    /// Requests passed to Hummingbird whose answers have not ended yet.
    private var answersOwed = 0

    init(endpoint: PublishEndpoint) {
        precondition(endpoint.cluster == nil, "cluster publishes are async and go through the router")
        self.endpoint = endpoint
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (unwrapInboundIn(data), state) {
        case (.head(let head), .idle):
            if answersOwed == 0, let streamID = Self.directStreamID(head) {
                state = .collecting(head, streamID: streamID)
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
            answer(head, streamID: streamID, body: collected, context: context)
            return
        case (.end, .passing):
            state = .idle
        default:
            break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { answersOwed = max(0, answersOwed - 1) }  // A parse error is answered unasked.
        context.write(data, promise: promise)
    }

    /// The unvalidated stream id of a request this handler answers itself, or `nil` to pass it on.
    private static func directStreamID(_ head: HTTPRequest) -> Substring? {
        guard head.method == .post, head.headerFields[.expect] == nil,
            let length = head.headerFields[.contentLength].flatMap({ Int($0) }), length <= PublishRequest.maxBodyBytes,
            let path = head.path
        else { return nil }
        return PublishEndpoint.streamID(path: path)
    }

    private func answer(_ head: HTTPRequest, streamID: Substring, body: ByteBuffer, context: ChannelHandlerContext) {
        var response: HTTPResponse
        let json: [UInt8]
        do {
            let streamID = try endpoint.check(authorization: head.headerFields[.authorization], streamID: streamID, contentLength: nil)
            json = endpoint.publishLocally(try PublishEndpoint.parse(body), to: streamID)
            response = HTTPResponse(status: .accepted)
        } catch {
            json = JSONWriter.error(error.message)
            response = HTTPResponse(status: error.status, headerFields: error.headers)
        }
        response.headerFields[.contentType] = "application/json"
        response.headerFields[.contentLength] = String(json.count)
        response.headerFields[.date] = HTTPDate.now
        let closing = head.headerFields[.connection]?.lowercased() == "close"
        if closing { response.headerFields[.connection] = "close" }
        context.write(wrapOutboundOut(.head(response)), promise: nil)
        context.write(wrapOutboundOut(.body(context.channel.allocator.buffer(bytes: json))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        if closing { context.close(promise: nil) }
    }
}
