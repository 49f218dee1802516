import Dispatch
import Logging
import NIOCore
import NIOPosix
import StreamHubCore

#if canImport(Glibc)
import Glibc
#endif

/// A hub on one SwiftNIO event loop with `viewers` viewers of one stream over loopback TCP, so a
/// broadcast takes the path it takes in production: each frame straight to the viewer's socket.
///
/// The viewers' ends are plain sockets that the fixture reads between iterations, so they neither
/// allocate nor fill up.
final class SocketDeliveryFixture: BroadcastFixture, @unchecked Sendable {
    /// Two descriptors each; this machine allows 20,000 open files per process.
    static let viewers = 5_000
    static let shared = try! SocketDeliveryFixture(viewers: viewers)

    private let hub: Hub
    private let completions = BroadcastCompletions()
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private var listener: (any Channel)?
    private var viewerSockets: [CInt] = []
    private let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 1)

    init(viewers: Int) throws {
        let configuration = BenchmarkBroadcast.hubConfiguration(viewers: viewers)
        let hub = Hub(configuration: configuration, eventLoopGroup: group, logger: Logger(label: "benchmark"), observer: completions)
        self.hub = hub
        let stream = BenchmarkBroadcast.stream
        let listener = try ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard case .success = hub.admit(streamID: stream.rawValue, origin: nil, channel: channel) else {
                        throw ChannelError.inappropriateOperationForState
                    }
                    try hub.attachViewer(of: stream, to: channel)
                }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
        self.listener = listener
        guard let port = listener.localAddress?.port else { throw ChannelError.inappropriateOperationForState }
        for _ in 0..<viewers { viewerSockets.append(try Self.connect(port: port)) }
        // Every viewer's `stream_state` has arrived once each socket has given something to read.
        var waiting = viewerSockets
        while !waiting.isEmpty { waiting.removeAll(where: readAll) }
    }

    func broadcast() {
        _ = hub.publish(BenchmarkBroadcast.request, to: BenchmarkBroadcast.stream, on: group.next())
        completions.wait()
    }

    func drain() -> Int {
        viewerSockets.count(where: readAll)
    }

    /// Reads what `socket` holds; `false` when it held nothing.
    private func readAll(from socket: CInt) -> Bool {
        var got = false
        while recv(socket, readBuffer.baseAddress, readBuffer.count, CInt(MSG_DONTWAIT)) > 0 { got = true }
        return got
    }

    private static func connect(port: Int) throws -> CInt {
        let socket = Glibc.socket(AF_INET, CInt(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard socket >= 0, connected == 0 else { throw IOError(errnoCode: errno, reason: "connect") }
        return socket
    }
}

/// Lets the benchmark thread wait for the hub's event loop to finish a broadcast.
private final class BroadcastCompletions: HubObserver {
    private let finished = DispatchSemaphore(value: 0)

    func broadcastCompleted(event: String, deliveries: Int, latency: Duration) {
        if event != "viewer_count_changed" { finished.signal() }
    }

    func wait() { finished.wait() }
}
