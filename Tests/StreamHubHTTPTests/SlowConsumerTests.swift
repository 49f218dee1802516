import StreamHubCore
import StreamHubTestSupport
import Testing

@Suite(.timeLimit(.minutes(1))) struct SlowConsumerTests {
    @Test func viewerThatStopsReadingIsClosedAndOthersGetEveryEvent() async throws {
        let configuration = TestHub.configuration {
            $0.hub.maxQueuedBytes = 256 * 1024
            $0.hub.unreapable()
        }
        try await TestHub.run(configuration) { hub in
            let slow = try await hub.joinAndStopReading()
            let fast = try await hub.join("s")
            _ = try await fast.waitFor("stream_state")
            let events = 150
            try await hub.publishLargeEvents(1...events)
            let received = try await fast.waitForMessages(timeout: .seconds(20), "every event") {
                $0.filter { $0.event == "quality_changed" }.count == events
            }
            #expect(received.filter { $0.event == "quality_changed" }.map(\.id) == Array(1...events))
            try await eventually(timeout: .seconds(10), "slow viewer closed") {
                hub.observer.counts.closed[.slowConsumer] == 1 ? true : nil
            }
            try await slow.waitUntilClosed(timeout: .seconds(5))
            #expect(fast.isConnected)
        }
    }

    @Test func viewerThatFallsBehindAndCatchesUpGetsEveryEventInOrder() async throws {
        // Neither limit may close it: the queue limit is far above what is sent, and the write timeout
        // above the time the publishes take on a busy machine.
        let configuration = TestHub.configuration {
            $0.hub.maxQueuedBytes = 64 << 20
            $0.hub.writeTimeout = .seconds(120)
            $0.hub.unreapable()
        }
        try await TestHub.run(configuration) { hub in
            let viewer = try await hub.joinAndStopReading()
            // More than the socket buffers hold (up to 4 MiB here): the hub queues the rest, then writes
            // straight to the socket again once its queue is empty.
            try await hub.publishLargeEvents(1...100)
            try await viewer.resumeReading()
            for index in 101...120 {
                try await hub.publish("s", "quality_changed", data: #"{"n":\#(index)}"#)
            }
            let received = try await viewer.waitForMessages(timeout: .seconds(20), "every event") {
                $0.filter { $0.event == "quality_changed" }.count == 120
            }
            #expect(received.filter { $0.event == "quality_changed" }.map(\.id) == Array(1...120))
            #expect(viewer.isConnected)
        }
    }

    @Test func viewerWhoseQueueStallsIsClosedAfterTheWriteTimeout() async throws {
        try await TestHub.run(
            TestHub.configuration {
                $0.hub.writeTimeout = .milliseconds(500)
                $0.hub.maxQueuedBytes = 64 << 20
                $0.hub.unreapable()
            }
        ) { hub in
            _ = try await hub.joinAndStopReading()
            // More than the socket buffers hold, far below the queue limit: only the timeout can close it.
            try await hub.publishLargeEvents(1...100) { hub.observer.counts.closed[.slowConsumer] == 1 }
            try await eventually(timeout: .seconds(20), "stalled viewer closed") {
                hub.observer.counts.closed[.slowConsumer] == 1 ? true : nil
            }
        }
    }
}

extension HubConfiguration {
    /// A viewer that stops reading does not answer pings either: on a busy machine it could be
    /// reaped before the limit under test closes it.
    mutating func unreapable() {
        pingInterval = .seconds(300)
        pongTimeout = .seconds(300)
    }
}

extension TestHub {
    /// A viewer of stream `s` with a 4 KiB receive buffer that got its `stream_state` and then stopped reading.
    fileprivate func joinAndStopReading() async throws -> TestViewer {
        let viewer = try await join("s", .init(receiveBufferBytes: 4096))
        _ = try await viewer.waitFor("stream_state")
        try await viewer.stopReading()
        return viewer
    }

    /// Publishes `quality_changed` events numbered `indices` to stream `s`, each padded to about 60 KiB,
    /// stopping early once `done` holds.
    fileprivate func publishLargeEvents(_ indices: ClosedRange<Int>, until done: () -> Bool = { false }) async throws {
        let padding = String(repeating: "x", count: 60 * 1024)
        for index in indices {
            try await publish("s", "quality_changed", data: #"{"n":\#(index),"pad":"\#(padding)"}"#)
            if done() { return }
        }
    }
}
