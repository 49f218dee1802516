import Logging
import NIOCore
import NIOEmbedded
import StreamHubCore

/// A hub on an embedded event loop with `viewers` viewers of one stream.
final class EmbeddedDeliveryFixture: BroadcastFixture, @unchecked Sendable {
    static let viewers = 10_000
    static let shared = try! EmbeddedDeliveryFixture(viewers: viewers)

    private let loop = EmbeddedEventLoop()
    private let hub: Hub
    private var channels: [EmbeddedChannel] = []

    init(viewers: Int) throws {
        let stream = BenchmarkBroadcast.stream
        hub = Hub(configuration: BenchmarkBroadcast.hubConfiguration(viewers: viewers), eventLoopGroup: loop, logger: Logger(label: "benchmark"))
        for _ in 0..<viewers {
            let channel = EmbeddedChannel(loop: loop)
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
            guard case .success = hub.admit(streamID: stream.rawValue, origin: nil, channel: channel) else {
                throw ChannelError.inappropriateOperationForState
            }
            try hub.attachViewer(of: stream, to: channel)
            channels.append(channel)
        }
        loop.run()
        _ = drain()
    }

    func broadcast() {
        _ = hub.publish(BenchmarkBroadcast.request, to: BenchmarkBroadcast.stream, on: loop)
        loop.run()
    }

    func drain() -> Int {
        var received = 0
        for channel in channels {
            var got = false
            while (try? channel.readOutbound(as: ByteBuffer.self)) ?? nil != nil { got = true }
            if got { received += 1 }
        }
        return received
    }
}
