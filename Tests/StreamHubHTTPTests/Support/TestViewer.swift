import Foundation
import NIOCore
import NIOPosix
import NIOWebSocket
import StreamHubTestSupport
import Synchronization

/// A real WebSocket client on loopback, written on plain NIO so a test can make it misbehave.
///
/// It records every frame it receives; by default it answers pings and close frames as a browser would.
final class TestViewer: Sendable {
    /// What the server answered to the handshake.
    enum Handshake: Sendable {
        case upgraded(TestViewer)
        case refused(status: Int, headers: [String: String], body: String)
    }

    struct Options: Sendable {
        var answerPings = true
        var origin: String?
        /// A small receive buffer makes a viewer that stops reading back up the server quickly.
        var receiveBufferBytes: Int?
        var webSocketVersion = "13"
        /// The loopback address to connect from (`127.0.0.2`, ...), for per-address limits.
        var sourceAddress: String?
        /// More request headers, as `X-Forwarded-For: 203.0.113.7`.
        var extraHeaders: [String] = []
    }

    let channel: any Channel
    private let recorder: FrameRecorder

    private init(channel: any Channel, recorder: FrameRecorder) {
        self.channel = channel
        self.recorder = recorder
    }

    static func connect(port: Int, path: String, options: Options = Options()) async throws -> Handshake {
        let recorder = FrameRecorder(answerPings: options.answerPings)
        let handshake = HandshakeHandler()
        var bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(5))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        WebSocketFrameEncoder(), handshake,
                        ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: 1 << 24)), recorder,
                    ])
                }
            }
        if let source = options.sourceAddress { bootstrap = bootstrap.bind(to: try SocketAddress(ipAddress: source, port: 0)) }
        if let bytes = options.receiveBufferBytes {
            bootstrap = bootstrap.channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(bytes))
        }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: "127.0.0.1", port: port).get()
        } catch {
            handshake.result.fail(error)
            throw error
        }
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        request += "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: \(options.webSocketVersion)\r\n"
        if let origin = options.origin { request += "Origin: \(origin)\r\n" }
        for header in options.extraHeaders { request += "\(header)\r\n" }
        request += "\r\n"
        try await writeBelowEncoder(channel, Array(request.utf8))
        // A hub that never answers fails the test instead of hanging it (futures ignore cancellation).
        let noAnswer = channel.eventLoop.scheduleTask(in: .seconds(15)) {
            handshake.result.fail(TestFailure("no answer to the handshake for \(path) within 15 s"))
        }
        defer { noAnswer.cancel() }
        switch try await handshake.result.futureResult.get() {
        case .switching:
            return .upgraded(TestViewer(channel: channel, recorder: recorder))
        case .response(let status, let headers, let body):
            try? await channel.close()
            return .refused(status: status, headers: headers, body: body)
        }
    }

    /// Connects and expects the upgrade to succeed.
    static func join(port: Int, stream: String, options: Options = Options()) async throws -> TestViewer {
        switch try await connect(port: port, path: "/api/v1/streams/\(stream)/ws", options: options) {
        case .upgraded(let viewer): return viewer
        case .refused(let status, _, let body): throw TestFailure("upgrade refused with \(status): \(body)")
        }
    }

    /// Connects with `?since=&epoch=` (each left out when `nil`) and `query`, and expects the upgrade to succeed.
    static func resume(
        port: Int, stream: String, since: Int?, epoch: String?, query extra: String? = nil, options: Options = Options()
    ) async throws -> TestViewer {
        let query = [since.map { "since=\($0)" }, epoch.map { "epoch=\($0)" }, extra].compactMap { $0 }.joined(separator: "&")
        switch try await connect(port: port, path: "/api/v1/streams/\(stream)/ws?\(query)", options: options) {
        case .upgraded(let viewer): return viewer
        case .refused(let status, _, let body): throw TestFailure("resume refused with \(status): \(body)")
        }
    }

    /// Events published to the stream (not `stream_state` or `viewer_count_changed`) received so far, in order.
    var publishedEvents: [ServerMessage] { messages.filter { !["stream_state", "viewer_count_changed"].contains($0.event) } }

    /// Text messages received so far, in order.
    var messages: [ServerMessage] { recorder.frames.compactMap { $0.opcode == .text ? ServerMessage($0.text) : nil } }

    func messages(_ event: String) -> [ServerMessage] { messages.filter { $0.event == event } }

    /// The close code the server sent, if any.
    var closeCode: UInt16? { recorder.closeCode }
    var pingsReceived: Int { recorder.frames.filter { $0.opcode == .ping }.count }
    var frames: [RecordedFrame] { recorder.frames }
    var isConnected: Bool { channel.isActive }

    /// Waits until `condition` holds for the messages received, or fails after `timeout`.
    @discardableResult
    func waitForMessages(
        timeout: Duration = .seconds(5),
        _ what: String = "messages",
        until condition: ([ServerMessage]) -> Bool
    ) async throws -> [ServerMessage] {
        try await eventually(timeout: timeout, what) {
            let messages = self.messages
            return condition(messages) ? messages : nil
        }
    }

    /// Waits for the next message of `event` after the first `after` of them.
    func waitFor(_ event: String, count: Int = 1, timeout: Duration = .seconds(5)) async throws -> ServerMessage {
        let matching = try await waitForMessages(timeout: timeout, "\(count) × \(event)") { $0.filter { $0.event == event }.count >= count }
        return matching.filter { $0.event == event }[count - 1]
    }

    /// Waits until the latest `viewer_count_changed` says `count`.
    func waitForViewerCount(_ count: Int, timeout: Duration = .seconds(5)) async throws {
        try await waitForMessages(timeout: timeout, "viewer_count \(count)") {
            $0.last { $0.event == "viewer_count_changed" }?.data["viewer_count"] as? Int == count
        }
    }

    func waitUntilClosed(timeout: Duration = .seconds(5)) async throws {
        try await eventually(timeout: timeout, "connection closed") { self.channel.isActive ? nil : true }
    }

    func send(_ opcode: WebSocketOpcode, _ payload: [UInt8], fin: Bool = true) async throws {
        let frame = WebSocketFrame(fin: fin, opcode: opcode, maskKey: .random(), data: ByteBuffer(bytes: payload))
        try await channel.writeAndFlush(frame).get()
    }

    /// Sends raw bytes, for frames NIO's encoder would not produce.
    func sendRaw(_ bytes: [UInt8]) async throws {
        try await Self.writeBelowEncoder(channel, bytes)
    }

    /// Writes bytes as they are, from below the frame encoder.
    private static func writeBelowEncoder(_ channel: any Channel, _ bytes: [UInt8]) async throws {
        try await channel.eventLoop.flatSubmit {
            do {
                let context = try channel.pipeline.syncOperations.context(handlerType: WebSocketFrameEncoder.self)
                return context.writeAndFlush(NIOAny(IOData.byteBuffer(ByteBuffer(bytes: bytes))))
            } catch {
                return channel.eventLoop.makeFailedFuture(error)
            }
        }.get()
    }

    func stopReading() async throws {
        try await channel.setOption(.autoRead, value: false).get()
    }

    func resumeReading() async throws {
        try await channel.setOption(.autoRead, value: true).get()
        channel.read()
    }

    func close() async {
        try? await channel.close()
    }
}

/// A frame as the test client received it.
struct RecordedFrame: Sendable {
    let opcode: WebSocketOpcode
    let payload: [UInt8]
    var text: String { String(decoding: payload, as: UTF8.self) }
}

/// A server message, `{"id", "event", "data"}`, decoded for assertions.
struct ServerMessage: Sendable, CustomStringConvertible {
    let text: String
    let id: Int
    let event: String

    init?(_ text: String) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
            let id = object["id"] as? Int, let event = object["event"] as? String, object["data"] is [String: Any]
        else { return nil }
        self.text = text
        self.id = id
        self.event = event
    }

    var data: [String: Any] {
        let object = try! JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
        return object["data"] as! [String: Any]
    }

    var description: String { text }
}

private final class FrameRecorder: ChannelInboundHandler, Sendable {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    let answerPings: Bool
    private let state = Mutex<(frames: [RecordedFrame], closeCode: UInt16?)>(([], nil))

    init(answerPings: Bool) { self.answerPings = answerPings }

    var frames: [RecordedFrame] { state.withLock { $0.frames } }
    var closeCode: UInt16? { state.withLock { $0.closeCode } }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        var payload = frame.unmaskedData
        let bytes = payload.readBytes(length: payload.readableBytes) ?? []
        state.withLock { $0.frames.append(RecordedFrame(opcode: frame.opcode, payload: bytes)) }
        switch frame.opcode {
        case .ping where answerPings:
            context.writeAndFlush(
                wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: ByteBuffer(bytes: bytes))), promise: nil)
        case .connectionClose:
            let code = bytes.count >= 2 ? UInt16(bytes[0]) << 8 | UInt16(bytes[1]) : 1005
            state.withLock { $0.closeCode = code }
            let reply = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: ByteBuffer(bytes: bytes.prefix(2)))
            context.writeAndFlush(wrapOutboundOut(reply)).whenComplete { _ in context.close(promise: nil) }
        default:
            break
        }
    }
}

/// Reads the HTTP response to the handshake, then passes bytes on to the frame decoder.
private final class HandshakeHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    enum Result: Sendable {
        case switching
        case response(status: Int, headers: [String: String], body: String)
    }

    let result = MultiThreadedEventLoopGroup.singleton.next().makePromise(of: Result.self)
    private let state = Mutex<(buffer: [UInt8], done: Bool)>(([], false))

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if state.withLock({ $0.done }) { return context.fireChannelRead(data) }
        let bytes = incoming.readBytes(length: incoming.readableBytes) ?? []
        let buffered = state.withLock {
            $0.buffer += bytes
            return $0.buffer
        }
        guard let end = buffered.firstRange(of: Array("\r\n\r\n".utf8)) else { return }
        let head = String(decoding: buffered[..<end.lowerBound], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let status = Int(lines.removeFirst().split(separator: " ")[1]) ?? 0
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let rest = Array(buffered[end.upperBound...])
        if status == 101 {
            state.withLock { $0.done = true }
            result.succeed(.switching)
            if !rest.isEmpty { context.fireChannelRead(wrapInboundOut(ByteBuffer(bytes: rest))) }
            return
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        guard rest.count >= length else { return }
        state.withLock { $0.done = true }
        result.succeed(.response(status: status, headers: headers, body: String(decoding: rest.prefix(length), as: UTF8.self)))
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !state.withLock({ $0.done }) { result.fail(ChannelError.eof) }
        context.fireChannelInactive()
    }
}
