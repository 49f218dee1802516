import Benchmark
import Logging
import NIOCore
import NIOEmbedded
import StreamHubCore

/// One event published to a stream with 10,000 viewers, through the real hub: the directory update,
/// the encoding, the hand-off to the event loop and every viewer's write. The viewers are real
/// `ViewerHandler`s on `EmbeddedChannel`s, so the channel below them costs nothing; what is left
/// is the hub's own work. The same with 5,000 viewers over loopback TCP takes the production path,
/// where each frame goes straight to the viewer's socket. Allocations must not grow with the
/// viewers: the threshold is a few dozen per broadcast, where one allocation per viewer would be thousands.
let benchmarks: @Sendable () -> Void = {
    let deliver: (Benchmark) -> Void = { benchmark in
        // Built on the thread that runs the iterations: an embedded event loop belongs to one thread.
        let fixture = DeliveryFixture.shared
        fixture.drainOutbound()
        benchmark.startMeasurement()
        _ = fixture.hub.publish(fixture.request, to: fixture.stream)
        fixture.loop.run()
        benchmark.stopMeasurement()
        precondition(fixture.drainOutbound() == DeliveryFixture.viewers, "every viewer gets the event")
    }
    // Gated in CI (`benchmark thresholds check --filter "allocations.*"`): the stored count may grow by
    // a few dozen, where one allocation per viewer would add 10,000.
    Benchmark(
        "allocations-deliver-to-10000-viewers",
        configuration: .init(
            metrics: [.mallocCountTotal], warmupIterations: 5, maxDuration: .seconds(5), maxIterations: 100,
            thresholds: [.mallocCountTotal: .init(absolute: [.p90: 32])]
        ),
        closure: deliver
    )
    // For people: the time a broadcast takes with the channel below the viewers costing nothing.
    Benchmark(
        "time-deliver-to-10000-viewers",
        configuration: .init(metrics: [.wallClock, .cpuTotal], warmupIterations: 5, maxDuration: .seconds(5), maxIterations: 200),
        closure: deliver
    )

    // The same over loopback TCP, where each frame goes straight to the viewer's socket.
    let deliverOverTCP: (Benchmark) -> Void = { benchmark in
        let fixture = SocketDeliveryFixture.shared
        fixture.drain()
        benchmark.startMeasurement()
        fixture.broadcast()
        benchmark.stopMeasurement()
        precondition(fixture.drain() == SocketDeliveryFixture.viewers, "every viewer gets the event")
    }
    Benchmark(
        "allocations-deliver-to-5000-tcp-viewers",
        configuration: .init(
            metrics: [.mallocCountTotal], warmupIterations: 5, maxDuration: .seconds(5), maxIterations: 100,
            thresholds: [.mallocCountTotal: .init(absolute: [.p90: 32])]
        ),
        closure: deliverOverTCP
    )
    Benchmark(
        "time-deliver-to-5000-tcp-viewers",
        configuration: .init(metrics: [.wallClock, .cpuTotal], warmupIterations: 5, maxDuration: .seconds(5), maxIterations: 200),
        closure: deliverOverTCP
    )
}

/// A hub on an embedded event loop with `viewers` viewers of one stream.
final class DeliveryFixture: @unchecked Sendable {
    static let viewers = 10_000
    static let shared = try! DeliveryFixture(viewers: viewers)

    let loop = EmbeddedEventLoop()
    let hub: Hub
    let stream = StreamID("benchmark")!
    let request = try! PublishRequest(body: Array(#"{"event":"quality_changed","data":{"quality":"1080p","bitrate_kbps":6000}}"#.utf8)[...])
    private var channels: [EmbeddedChannel] = []

    init(viewers: Int) throws {
        var configuration = HubConfiguration(maxConnections: viewers + 1)
        configuration.pingInterval = .seconds(3600)
        hub = Hub(configuration: configuration, eventLoopGroup: loop, logger: Logger(label: "benchmark"))
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
        drainOutbound()
    }

    /// Takes what the viewers were sent; returns how many got a frame.
    @discardableResult
    func drainOutbound() -> Int {
        var received = 0
        for channel in channels {
            var got = false
            while (try? channel.readOutbound(as: ByteBuffer.self)) ?? nil != nil { got = true }
            if got { received += 1 }
        }
        return received
    }
}
