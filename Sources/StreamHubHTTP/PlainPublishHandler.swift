import HTTPTypes
import NIOCore
import StreamHubCore

/// Answers plain publishes (``PlainPublishHead``) from the connection's bytes, first in a single
/// node's HTTP pipeline, and hands the connection to that pipeline at the first other request.
///
/// A publisher's connection carries one kind of request, over and over; reading and answering it
/// here skips the HTTP decoder, the HTTP types and the handlers a request crosses, which on many
/// small streams cost more than the hub's own work. The answers are the ones ``PublishEndpoint``
/// gives on the router. From the first request that is not a plain publish on (its first byte
/// included), every byte goes to the pipeline behind, which so starts at a request's beginning.
///
/// It keeps the ``HTTPConnectionGuard``'s deadlines as the pipeline would, stops reading while the
/// client leaves 64 KiB of answers unread, closes after `Connection: close`, and on quiesce closes
/// once the request it holds, if any, is answered. Only for a single node, whose answers are ready
/// at once, so they keep the order of the requests.
final class PlainPublishHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum State {
        /// Reading plain publishes; `pending` holds a request whose body has not all arrived.
        case reading(pending: ByteBuffer?)
        /// Every byte goes to the pipeline behind.
        case passing
        /// Answered a request that closes the connection; nothing more is read.
        case closing
    }

    private let endpoint: PublishEndpoint
    private let `guard`: HTTPConnectionGuard
    private var state = State.reading(pending: nil)
    private var quiescing = false
    private var readWithheld = false

    init(endpoint: PublishEndpoint, guard: HTTPConnectionGuard) {
        self.endpoint = endpoint
        self.guard = `guard`
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .reading(let pending) = state else {
            if case .passing = state { context.fireChannelRead(data) }
            return
        }
        `guard`.bytesArrived()
        var bytes = unwrapInboundIn(data)
        if var pending {
            state = .reading(pending: nil)  // The buffer stays uniquely referenced while it grows.
            pending.writeBuffer(&bytes)
            bytes = pending
        }
        var answered = false
        while bytes.readableBytes > 0 {
            guard let (head, streamID) = bytes.withUnsafeReadableBytes({ Self.plainPublish($0) }) else {
                state = .passing
                break
            }
            guard bytes.readableBytes >= head.headBytes + head.bodyBytes else {
                state = .reading(pending: bytes)
                break
            }
            let body = bytes.getSlice(at: bytes.readerIndex + head.headBytes, length: head.bodyBytes)!
            bytes.moveReaderIndex(forwardBy: head.headBytes + head.bodyBytes)
            answer(head, streamID: streamID, body: body, context: context)
            answered = true
            if head.closesConnection {
                state = .closing
                break
            }
        }
        if answered { context.flush() }
        switch state {
        case .passing:
            context.fireChannelRead(wrapInboundOut(bytes))
        case .closing:
            context.close(promise: nil)
        case .reading(let pending):
            if pending != nil {
                `guard`.bytesArrived()  // The next request's time starts.
            } else if quiescing {
                context.close(promise: nil)
            }
        }
    }

    /// The head at the start of `bytes` and its unvalidated stream id, if it is a plain publish to a publish URL.
    private static func plainPublish(_ bytes: UnsafeRawBufferPointer) -> (PlainPublishHead, Substring)? {
        guard case .head(let head) = PlainPublishHead.parse(bytes), let streamID = PublishEndpoint.streamID(path: head.target) else { return nil }
        return (head, streamID)
    }

    private func answer(_ head: PlainPublishHead, streamID rawID: Substring, body: ByteBuffer, context: ChannelHandlerContext) {
        var status = HTTPResponse.Status.accepted
        var headers: HTTPFields = [:]
        var json: [UInt8]
        do {
            let streamID = try endpoint.check(authorization: head.authorization, streamID: rawID, contentLength: nil)
            json = endpoint.publishHere(try PublishEndpoint.parse(body), to: streamID)
        } catch {
            (status, headers, json) = (error.status, error.headers, JSONWriter.error(error.message))
        }
        var out = context.channel.allocator.buffer(capacity: 160 + json.count)
        if status == .accepted {
            out.writeStaticString("HTTP/1.1 202 Accepted\r\n")
        } else {
            out.writeString("HTTP/1.1 \(status.code) \(status.reasonPhrase)\r\n")
        }
        for field in headers { out.writeString("\(field.name.rawName): \(field.value)\r\n") }
        out.writeStaticString("Content-Type: application/json\r\nContent-Length: ")
        out.writeString(String(json.count))
        out.writeStaticString("\r\nDate: ")
        out.writeString(HTTPDate.now)
        out.writeStaticString("\r\n")
        if head.closesConnection { out.writeStaticString("Connection: close\r\n") }
        out.writeStaticString("\r\n")
        out.writeBytes(json)
        context.write(wrapOutboundOut(out), promise: nil)
        `guard`.plainRequestAnswered()
    }

    // MARK: Backpressure and quiesce

    func read(context: ChannelHandlerContext) {
        if case .reading = state, !context.channel.isWritable {
            readWithheld = true
        } else {
            context.read()
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if readWithheld, context.channel.isWritable {
            readWithheld = false
            context.read()
        }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent, case .reading(let pending) = state else {
            return context.fireUserInboundEventTriggered(event)
        }
        quiescing = true
        if pending == nil { context.close(promise: nil) }
    }
}
