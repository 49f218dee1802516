import StreamHubTestSupport
import Testing

@Suite(.timeLimit(.minutes(1))) struct ViewerCountTests {
    @Test func burstOf2000JoinsIsCoalescedIntoAFewCountMessagesPerViewer() async throws {
        try await TestHub.run { hub in
            let burst = 2000
            let clock = ContinuousClock()
            let start = clock.now
            let viewers = try await withThrowingTaskGroup(of: [TestViewer].self) { group in
                for worker in 0..<100 {
                    group.addTask {
                        var joined: [TestViewer] = []
                        for _ in 0..<(burst / 100) { joined.append(try await hub.join("storm")) }
                        _ = worker
                        return joined
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            // The allowance follows from the burst's own duration, however long a busy machine makes it.
            let joinDuration = clock.now - start
            try await eventually(timeout: .seconds(10), "every viewer told the final count") {
                viewers.allSatisfy { $0.messages.last?.data["viewer_count"] as? Int == burst } ? true : nil
            }
            let interval = 0.5
            let allowed = Int((joinDuration / .seconds(1) / interval).rounded(.up)) + 2
            let most = viewers.map { $0.messages("viewer_count_changed").count }.max() ?? 0
            #expect(most <= allowed, "a viewer got \(most) viewer_count_changed for \(burst) joins in \(joinDuration)")
            #expect(most >= 1)
            for viewer in viewers { await viewer.close() }
        }
    }

    @Test func noCountMessageWhileTheCountStaysTheSame() async throws {
        try await TestHub.run(TestHub.configuration { $0.hub.viewerCountInterval = .milliseconds(100) }) { hub in
            let viewer = try await hub.join("quiet")
            let first = try await viewer.waitFor("viewer_count_changed")
            #expect(first.data["viewer_count"] as? Int == 1)
            // Each join elsewhere is announced at a later tick: three ticks pass with the quiet count unchanged.
            var others: [TestViewer] = []
            for count in 1...3 {
                let other = try await hub.join("busy")
                others.append(other)
                _ = try await other.waitForMessages { $0.contains { $0.event == "viewer_count_changed" && $0.data["viewer_count"] as? Int == count } }
            }
            #expect(viewer.messages("viewer_count_changed").count == 1)
        }
    }
}
