import Benchmark

/// One event published to a stream through the real hub: the directory update, the encoding, the
/// hand-off to the event loop and every viewer's write. With 10,000 viewers on `EmbeddedChannel`s,
/// the channel below them costs nothing and what is left is the hub's own work; with 5,000 viewers
/// over loopback TCP, each frame goes straight to the viewer's socket, as in production.
///
/// Allocations are gated in CI (`benchmark thresholds check --filter "allocations.*"`): the stored
/// count may grow by a few dozen, where one allocation per viewer would add thousands. The times are
/// for people.
let benchmarks: @Sendable () -> Void = {
    let allocations = Benchmark.Configuration(
        metrics: [.mallocCountTotal], warmupIterations: 5, maxDuration: .seconds(5), maxIterations: 100,
        thresholds: [.mallocCountTotal: .init(absolute: [.p90: 32])]
    )
    let time = Benchmark.Configuration(metrics: [.wallClock, .cpuTotal], warmupIterations: 5, maxDuration: .seconds(5), maxIterations: 200)

    // The embedded fixture is built on the thread that runs the iterations: an embedded event loop belongs to one thread.
    let deliver = broadcastIteration { EmbeddedDeliveryFixture.shared }
    Benchmark("allocations-deliver-to-10000-viewers", configuration: allocations, closure: deliver)
    Benchmark("time-deliver-to-10000-viewers", configuration: time, closure: deliver)

    let deliverOverTCP = broadcastIteration { SocketDeliveryFixture.shared }
    Benchmark("allocations-deliver-to-5000-tcp-viewers", configuration: allocations, closure: deliverOverTCP)
    Benchmark("time-deliver-to-5000-tcp-viewers", configuration: time, closure: deliverOverTCP)
}

/// One iteration: a measured broadcast between two reads of what the viewers were sent.
func broadcastIteration<Fixture: BroadcastFixture>(_ fixture: @escaping () -> Fixture) -> (Benchmark) -> Void {
    { benchmark in
        let fixture = fixture()
        fixture.drain()
        benchmark.startMeasurement()
        fixture.broadcast()
        benchmark.stopMeasurement()
        precondition(fixture.drain() == Fixture.viewers, "every viewer gets the event")
    }
}
