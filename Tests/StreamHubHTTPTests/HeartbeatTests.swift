import StreamHubTestSupport
import Testing

@Suite(.timeLimit(.minutes(1))) struct HeartbeatTests {
    @Test func silentViewerIsReapedAndLeavesTheCountWhileAnAnsweringOneStays() async throws {
        try await TestHub.run(
            TestHub.configuration {
                $0.hub.pingInterval = .milliseconds(200)
                // Long enough that the viewer that answers is never reaped on a busy machine.
                $0.hub.pongTimeout = .seconds(2)
                // Several count ticks fit between the second join and the reap, so the count goes 2, then 1.
                $0.hub.viewerCountInterval = .milliseconds(100)
            }
        ) { hub in
            let silent = try await hub.join("s", .init(answerPings: false))
            let alive = try await hub.join("s")
            _ = try await alive.waitFor("stream_state")
            try await silent.waitUntilClosed(timeout: .seconds(6))
            #expect(silent.pingsReceived >= 1)
            #expect(silent.closeCode == nil, "a reaped connection is simply closed")
            #expect(hub.observer.counts.closed[.reaped] == 1)
            let counted = try await alive.waitForMessages(timeout: .seconds(10)) { $0.last?.data["viewer_count"] as? Int == 1 }
            #expect(counted.last?.event == "viewer_count_changed")
            #expect(alive.isConnected, "the viewer that answers stays")
            try await eventually("a second ping, answered") { alive.pingsReceived >= 2 ? true : nil }
            #expect(alive.isConnected)
            // The pong reaches the hub after the ping reached the viewer.
            let roundTrips = try await eventually("a round trip measured") {
                let roundTrips = hub.observer.counts.roundTrips
                return roundTrips.isEmpty ? nil : roundTrips
            }
            #expect(roundTrips.allSatisfy { $0 > .zero && $0 < .seconds(2) })
        }
    }
}
