import Foundation
import HummingbirdTesting
import NIOCore
import StreamHubCore
import StreamHubTestSupport
import Synchronization
import Testing

/// A viewer that reconnects with `?since=&epoch=` gets what it missed, all or nothing.
@Suite(.timeLimit(.minutes(2))) struct ResumeTests {
    /// A stream with `count` quality changes, watched from the start by a viewer that got them all.
    private func streamWithEvents(_ hub: TestHub, _ stream: String, count: Int) async throws -> (epoch: String, watcher: TestViewer) {
        let watcher = try await hub.join(stream)
        let state = try await watcher.waitFor("stream_state")
        for seq in 1...count { try await hub.publish(stream, "quality_changed", data: #"{"seq":\#(seq)}"#) }
        _ = try await watcher.waitFor("quality_changed", count: count)
        return (try #require(state.data["epoch"] as? String), watcher)
    }

    private func resume(_ hub: TestHub, _ stream: String, since: Int?, epoch: String?) async throws -> (state: ServerMessage, viewer: TestViewer) {
        let viewer = try await TestViewer.resume(port: hub.port, stream: stream, since: since, epoch: epoch)
        return (try await viewer.waitFor("stream_state"), viewer)
    }

    @Test func aViewerResumingInTheEpochGetsEveryMissedEventByteForByteThenLiveOnes() async throws {
        try await TestHub.run { hub in
            let (epoch, watcher) = try await streamWithEvents(hub, "s", count: 5)
            let (state, viewer) = try await resume(hub, "s", since: 2, epoch: epoch)
            #expect(state.data["recovered"] as? Bool == true)
            #expect(state.id == 5 && state.data["epoch"] as? String == epoch)
            let replayed = try await viewer.waitForMessages { $0.filter { $0.event == "quality_changed" }.count == 3 }
            #expect(replayed.first?.event == "stream_state", "stream_state comes first")
            let original = watcher.publishedEvents.filter { $0.id > 2 }.map(\.text)
            #expect(viewer.publishedEvents.map(\.text) == original, "original id, timestamp and data, byte for byte")
            try await hub.publish("s", "stream_ended")
            let ended = try await viewer.waitFor("stream_ended")
            #expect(ended.id == 6 && viewer.publishedEvents.map(\.id) == [3, 4, 5, 6], "then live events, no gap, no duplicate")
            #expect(hub.observer.counts.resumes == (recovered: 1, missed: 0))
        }
    }

    @Test func aViewerAtTheLatestIdIsRecoveredWithNothingToReplayEvenWithHistoryOff() async throws {
        let configuration = TestHub.configuration { $0.hub.historySize = 0 }
        try await TestHub.run(configuration) { hub in
            let (epoch, _) = try await streamWithEvents(hub, "s", count: 2)
            let (state, viewer) = try await resume(hub, "s", since: 2, epoch: epoch)
            #expect(state.data["recovered"] as? Bool == true)
            let (missed, _) = try await resume(hub, "s", since: 1, epoch: epoch)
            #expect(missed.data["recovered"] as? Bool == false, "history off: nothing is held")
            try await hub.publish("s", "stream_ended")
            _ = try await viewer.waitFor("stream_ended")
            #expect(viewer.publishedEvents.map(\.id) == [3])
        }
    }

    /// Every way a resume misses: `stream_state` says `recovered: false` and nothing is replayed.
    @Test(arguments: ["another epoch", "since ahead", "no longer held", "since without epoch"])
    func aResumeThatCannotBeWholeIsNotRecoveredAndReplaysNothing(cause: String) async throws {
        let configuration = TestHub.configuration { $0.hub.historySize = 3 }
        try await TestHub.run(configuration) { hub in
            let (epoch, _) = try await streamWithEvents(hub, "s", count: 6)
            let (since, resumeEpoch): (Int, String?) =
                switch cause {
                case "another epoch": (5, "Zz9_-")
                case "since ahead": (7, epoch)
                case "no longer held": (2, epoch)  // 4, 5 and 6 are held; 3 is not
                default: (5, nil)
                }
            let (state, viewer) = try await resume(hub, "s", since: since, epoch: resumeEpoch)
            #expect(state.data["recovered"] as? Bool == false)
            #expect(state.id == 6 && state.data["epoch"] as? String == epoch, "the current state stands in for what was missed")
            try await hub.publish("s", "stream_ended")
            _ = try await viewer.waitFor("stream_ended")
            #expect(viewer.publishedEvents.map(\.id) == [7], "no replay")
            #expect(hub.observer.counts.resumes == (recovered: 0, missed: 1))
        }
    }

    @Test func theHistoryExpiresItsTTLAfterTheLatestEvent() async throws {
        let configuration = TestHub.configuration { $0.hub.historyTTL = .milliseconds(300) }
        try await TestHub.run(configuration) { hub in
            let (epoch, _) = try await streamWithEvents(hub, "s", count: 3)
            try await Task.sleep(for: .milliseconds(400))
            let (state, _) = try await resume(hub, "s", since: 1, epoch: epoch)
            #expect(state.data["recovered"] as? Bool == false)
        }
    }

    @Test(arguments: [
        ("since=-1&epoch=abc", "since"), ("since=abc&epoch=abc", "since"), ("since=9007199254740992&epoch=abc", "since"),
        ("since=&epoch=abc", "since"), ("since=1&epoch=", "epoch"), ("since=1&epoch=a%2Db", "epoch"),
        ("since=1&epoch=\(String(repeating: "a", count: 33))", "epoch"), ("epoch=abc", "since"),
    ])
    func aMalformedResumeIsRefusedWith400BeforeAnyUpgrade(query: String, named: String) async throws {
        try await TestHub.run { hub in
            let answer = try await TestViewer.connect(port: hub.port, path: "/api/v1/streams/s/ws?\(query)")
            guard case .refused(let status, _, let body) = answer else { throw TestFailure("upgraded with \(query)") }
            #expect(status == 400)
            let error = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
            #expect((error?["error"] as? String)?.contains(named) == true, "\(body)")
            #expect(hub.observer.counts.rejected[.badRequest] == 1)
        }
    }

    @Test func viewerCountsAreNeverReplayed() async throws {
        let configuration = TestHub.configuration { $0.hub.viewerCountInterval = .milliseconds(20) }
        try await TestHub.run(configuration) { hub in
            let watcher = try await hub.join("s")
            let epoch = try #require(try await watcher.waitFor("stream_state").data["epoch"] as? String)
            try await hub.publish("s", "stream_started")
            let others = try await [hub.join("s"), hub.join("s")]
            try await watcher.waitForViewerCount(3)
            try await hub.publish("s", "quality_changed")
            _ = try await watcher.waitFor("quality_changed")
            let viewer = try await TestViewer.resume(port: hub.port, stream: "s", since: 0, epoch: epoch)
            let received = try await viewer.waitForMessages { $0.count >= 3 }
            #expect(received.prefix(3).map(\.event) == ["stream_state", "stream_started", "quality_changed"])
            #expect(received.first?.data["recovered"] as? Bool == true)
            for other in others { await other.close() }
        }
    }

    @Test func theEpochIsInTheStateThePublishAnswerAndStartsAfreshOnceTheStateIsForgotten() async throws {
        let configuration = TestHub.configuration { $0.hub.streamStateTTL = .seconds(1) }
        try await TestHub.run(configuration) { hub in
            // A viewer keeps the state from being forgotten while the epoch is compared.
            let viewer = try await hub.join("s")
            let epoch = try #require(try await viewer.waitFor("stream_state").data["epoch"] as? String)
            #expect(StreamEpoch(epoch) != nil)
            #expect(try await hub.publish("s", "stream_started").json["epoch"] as? String == epoch)
            #expect(try await hub.get("/api/v1/streams/s").json["epoch"] as? String == epoch)
            await viewer.close()
            // No viewers and no event for the TTL: forgotten (swept every second), and seen again afresh.
            let fresh = try await eventually(timeout: .seconds(5), "state forgotten") { () async throws -> String? in
                let current = try await hub.get("/api/v1/streams/s").json
                return current["status"] as? String == "offline" ? current["epoch"] as? String : nil
            }
            #expect(fresh != epoch)
            let (state, _) = try await resume(hub, "s", since: 1, epoch: epoch)
            #expect(state.data["recovered"] as? Bool == false && state.data["epoch"] as? String != epoch && state.id == 0)
        }
    }

    /// The seam between replay and live events: 100 viewers resume from random recent ids while a
    /// publisher sends 200 events a second; each gets every event after its `since` exactly once, in order.
    @Test func viewersResumingDuringAFastPublishGetEveryEventOnceInOrder() async throws {
        try await TestHub.run { hub in
            let watcher = try await hub.join("s")
            let epoch = try #require(try await watcher.waitFor("stream_state").data["epoch"] as? String)
            let published = LatestPublished()
            // One keep-alive connection, as a publisher would keep.
            let publisher = Task {
                try await TestClient.withClient(host: "127.0.0.1", port: hub.port) { client in
                    let clock = ContinuousClock()
                    var next = clock.now
                    for seq in 1...600 {
                        let request = TestClient.Request(
                            "/api/v1/streams/s/events", method: .post, authority: "127.0.0.1:\(hub.port)",
                            headers: [.authorization: "Bearer \(TestHub.token)"],
                            body: ByteBuffer(string: #"{"event":"quality_changed","data":{"seq":\#(seq)}}"#))
                        let response: TestClient.Response
                        do {
                            response = try await client.execute(request)
                        } catch {
                            published.failure.withLock { $0 = "publish \(seq) failed: \(error)" }
                            throw error
                        }
                        guard response.status == .accepted else {
                            published.failure.withLock { $0 = "publish \(seq) answered \(response.status)" }
                            throw TestFailure("publish \(seq) answered \(response.status)")
                        }
                        published.id.store(seq, ordering: .relaxed)
                        next = next.advanced(by: .milliseconds(5))
                        try await clock.sleep(until: next)
                    }
                }
            }
            // Generous: the whole suite may be running on two cores.
            try await eventually(timeout: .seconds(30), "publishing under way") {
                if let failure = published.failure.withLock({ $0 }) { throw TestFailure(failure) }
                return published.id.load(ordering: .relaxed) >= 60 ? true : nil
            }
            let resumed = try await withThrowingTaskGroup(of: (since: Int, viewer: TestViewer).self) { group in
                for index in 0..<100 {
                    group.addTask {
                        try await Task.sleep(for: .milliseconds(index * 15))
                        let since = max(0, published.id.load(ordering: .relaxed) - Int.random(in: 0...50))
                        return (since, try await TestViewer.resume(port: hub.port, stream: "s", since: since, epoch: epoch))
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            try await publisher.value
            for (since, viewer) in resumed {
                let events = try await viewer.waitForMessages(timeout: .seconds(10)) { $0.last?.id == 600 }
                #expect(events.first?.data["recovered"] as? Bool == true)
                let ids = viewer.publishedEvents.map(\.id)
                #expect(ids == Array((since + 1)...600), "since \(since): \(ids.count) events, first \(ids.first ?? 0)")
                await viewer.close()
            }
            #expect(hub.observer.counts.resumes == (recovered: 100, missed: 0))
        }
    }
}

/// The id of the latest event the test's publisher got a `202` for.
private final class LatestPublished: Sendable {
    let id = Atomic<Int>(0)
    /// Why the publisher stopped, if it failed.
    let failure = Mutex<String?>(nil)
}
