import NIOCore
import NIOPosix
import StreamHubTestSupport
import Synchronization

/// A TCP connection on loopback that sends exactly what a test writes and records what comes back:
/// for silent, half-sent and hostile clients.
final class RawTCPClient: Sendable {
    let channel: any Channel
    private let recorder: Recorder

    private init(channel: any Channel, recorder: Recorder) {
        self.channel = channel
        self.recorder = recorder
    }

    /// Connects to the hub on `port`, from `source` (another loopback address such as `127.0.0.2`) when given.
    static func connect(port: Int, from source: String? = nil) async throws -> RawTCPClient {
        let recorder = Recorder()
        var bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(5))
            .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(recorder) } }
        if let source { bootstrap = bootstrap.bind(to: try SocketAddress(ipAddress: source, port: 0)) }
        let channel = try await bootstrap.connect(host: "127.0.0.1", port: port).get()
        return RawTCPClient(channel: channel, recorder: recorder)
    }

    func send(_ text: String) async throws {
        try await send(Array(text.utf8))
    }

    func send(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes)).get()
    }

    /// Everything received so far.
    var received: [UInt8] { recorder.bytes.withLock { $0 } }

    var isClosed: Bool { !channel.isActive }

    /// Waits until the server closes the connection.
    func waitUntilClosed(timeout: Duration) async throws {
        try await eventually(timeout: timeout, "connection closed by the server") { self.isClosed ? true : nil }
    }

    func close() async {
        try? await channel.close()
    }

    private final class Recorder: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let bytes = Mutex<[UInt8]>([])

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            bytes.withLock { $0 += buffer.readableBytesView }
        }
    }
}
