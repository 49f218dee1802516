import Foundation
import StreamHubCluster
import StreamHubRedis
import StreamHubTestSupport
import Testing

/// Resuming in a cluster: the history lives in Redis beside the stream's state, so a viewer resumes on any node.
@Suite(.enabled(if: RedisServer.shouldRun, "redis-server is not installed"), .timeLimit(.minutes(1)))
struct ClusterResumeTests {
    @Test func aViewerResumesOnAnotherNodeInTheEpochEveryNodeShares() async throws {
        let redis = try await RedisServer()
        defer { redis.stop() }
        try await ClusterTests.withTwoNodes(redis.url) { a, b in
            let onA = try await a.join("s")
            let epoch = try #require(try await onA.waitFor("stream_state").data["epoch"] as? String)
            #expect(try await b.publish("s", "stream_started").json["epoch"] as? String == epoch, "the epoch is Redis's, given at the first join")
            try await publish(b, "s", 1...4)
            _ = try await onA.waitFor("quality_changed", count: 4)
            await onA.close()
            let onB = try await TestViewer.resume(port: b.port, stream: "s", since: 2, epoch: epoch)
            let state = try await onB.waitFor("stream_state")
            #expect(state.data["recovered"] as? Bool == true && state.data["epoch"] as? String == epoch)
            _ = try await onB.waitFor("quality_changed", count: 3)
            #expect(onB.publishedEvents.map(\.text) == onA.publishedEvents.filter { $0.id > 2 }.map(\.text), "as first sent, byte for byte")
        }
    }

    @Test func aNodeThatStartedLaterResumesViewersFromRedisWithOneReadForAStormOfThem() async throws {
        let redis = try await RedisServer()
        defer { redis.stop() }
        let namespace = ClusterTests.uniqueNamespace()
        try await TestHub.run(ClusterTests.node("a", redis.url, namespace: namespace)) { a in
            try await eventually("a linked") { try await a.clusterUp() ? true : nil }
            let watcher = try await a.join("s")
            let epoch = try #require(try await watcher.waitFor("stream_state").data["epoch"] as? String)
            try await publish(a, "s", 1...10)
            _ = try await watcher.waitFor("quality_changed", count: 10)
            try await TestHub.run(ClusterTests.node("late", redis.url, namespace: namespace)) { late in
                try await eventually("late linked") { try await late.clusterUp() ? true : nil }
                let admin = try await RedisConnection.connect(to: redis.url)
                let readsBefore = try await historyReads(admin)
                let viewers = try await withThrowingTaskGroup(of: TestViewer.self) { group in
                    for _ in 0..<20 { group.addTask { try await TestViewer.resume(port: late.port, stream: "s", since: 5, epoch: epoch) } }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                for viewer in viewers {
                    let messages: [ServerMessage]
                    do {
                        messages = try await viewer.waitForMessages { $0.last?.id == 10 && $0.count >= 6 }
                    } catch {
                        throw error
                    }
                    #expect(messages.first?.data["recovered"] as? Bool == true)
                    #expect(viewer.publishedEvents.map(\.text) == watcher.publishedEvents.filter { $0.id > 5 }.map(\.text))
                }
                let reads = try await historyReads(admin) - readsBefore
                #expect(reads == 1, "\(reads) history reads for 20 viewers resuming at once")
                // Junk in the history list voids the history, never the node.
                _ = try await admin.send(RedisCommand("RPUSH", ["\(namespace):history:s", "not an envelope"]))
                let after = try await TestViewer.resume(port: late.port, stream: "s", since: 10, epoch: epoch)
                #expect(try await after.waitFor("stream_state").data["recovered"] as? Bool == true, "the latest id needs no history")
                await admin.close()
            }
        }
    }

    @Test func aViewerOfANodeKilledWithSIGKILLResumesOnTheSurvivor() async throws {
        let redis = try await RedisServer()
        defer { redis.stop() }
        try await TestHub.run(ClusterTests.node("survivor", redis.url)) { survivor in
            let doomed = try await HubProcess(["--redis-url", "\(redis.url)", "--node-id", "doomed"])
            try await eventually("both linked") {
                let metrics = try await HubClient(port: doomed.port).get("/metrics").body
                return try await survivor.clusterUp() && metrics.contains("\nstreamhub_cluster_up 1") ? true : nil
            }
            let viewer = try await TestViewer.join(port: doomed.port, stream: "s")
            let epoch = try #require(try await viewer.waitFor("stream_state").data["epoch"] as? String)
            try await publish(survivor, "s", 1...3)
            _ = try await viewer.waitFor("quality_changed", count: 3)
            kill(doomed.process.processIdentifier, SIGKILL)
            try await viewer.waitUntilClosed()
            try await publish(survivor, "s", 4...6)
            let resumed = try await TestViewer.resume(port: survivor.port, stream: "s", since: 3, epoch: epoch)
            #expect(try await resumed.waitFor("stream_state").data["recovered"] as? Bool == true)
            _ = try await resumed.waitFor("quality_changed", count: 3)
            #expect(resumed.publishedEvents.map { $0.data["seq"] as? Int } == [4, 5, 6])
        }
    }

    @Test func aRedisRestartWithoutPersistenceStartsANewEpochAndOldIdsAreNotRecovered() async throws {
        let redis = try await RedisServer()
        try await withANodeThatLostRedis(redis) { a, epoch in
            let restarted = try await RedisServer(port: redis.port)
            defer { restarted.stop() }
            try await eventually(timeout: .seconds(15), "relinked") { try await a.clusterUp() ? true : nil }
            let resumed = try await TestViewer.resume(port: a.port, stream: "s", since: 3, epoch: epoch)
            let state = try await resumed.waitFor("stream_state")
            #expect(state.data["recovered"] as? Bool == false)
            let fresh = try #require(state.data["epoch"] as? String)
            #expect(fresh != epoch && state.id == 3, "a new epoch; ids still never go back")
            #expect(try await a.publish("s", "stream_ended").json["epoch"] as? String == fresh)
        }
    }

    @Test func whileRedisIsDownANodeResumesFromWhatItHolds() async throws {
        let redis = try await RedisServer()
        try await withANodeThatLostRedis(redis) { a, epoch in
            let local = try await a.publish("s", "stream_ended")
            #expect(local.json["cluster"] as? String == "local_only" && local.json["epoch"] as? String == epoch)
            let resumed = try await TestViewer.resume(port: a.port, stream: "s", since: 1, epoch: epoch)
            #expect(try await resumed.waitFor("stream_state").data["recovered"] as? Bool == true)
            _ = try await resumed.waitFor("stream_ended")
            #expect(resumed.publishedEvents.map(\.id) == [2, 3, 4])
            let unknown = try await TestViewer.resume(port: a.port, stream: "never-here", since: 5, epoch: epoch)
            #expect(try await unknown.waitFor("stream_state").data["recovered"] as? Bool == false)
        }
    }
}

/// Publishes a quality change per `seq` through `hub`, `seq` in its data.
private func publish(_ hub: TestHub, _ stream: String, _ seqs: ClosedRange<Int>) async throws {
    for seq in seqs { try await hub.publish(stream, "quality_changed", data: #"{"seq":\#(seq)}"#) }
}

/// Runs `body` with a node whose stream `s` holds events 1 to 3 in `epoch`, as a viewer saw them,
/// after `redis` stopped and the node noticed.
///
/// The epoch is the one Redis numbered the events in: a join whose state read times out on a loaded
/// machine gives its viewer the node's own epoch, which the first event numbered by Redis replaces.
private func withANodeThatLostRedis(_ redis: RedisServer, _ body: @Sendable (TestHub, String) async throws -> Void) async throws {
    try await TestHub.run(ClusterTests.node("a", redis.url, namespace: ClusterTests.uniqueNamespace())) { a in
        try await eventually("linked") { try await a.clusterUp() ? true : nil }
        let viewer = try await a.join("s")
        _ = try await viewer.waitFor("stream_state")
        try await publish(a, "s", 1...2)
        let epoch = try #require(try await a.publish("s", "quality_changed", data: #"{"seq":3}"#).json["epoch"] as? String)
        _ = try await viewer.waitFor("quality_changed", count: 3)
        redis.stop()
        try await eventually("cluster_up 0") { try await a.clusterUp() ? nil : true }
        try await body(a, epoch)
    }
}

/// How many history lists Redis has read (`LRANGE` in `INFO commandstats`, which counts the commands scripts run).
private func historyReads(_ redis: RedisConnection) async throws -> Int {
    let reply = try await redis.send(RedisCommand("INFO", ["commandstats"]))
    let text = String(decoding: reply.bytes ?? [], as: UTF8.self)
    guard let line = text.split(whereSeparator: \.isNewline).first(where: { $0.hasPrefix("cmdstat_lrange:") }),
        let calls = line.split(separator: ",").first?.split(separator: "=").last.flatMap({ Int($0) })
    else { return 0 }
    return calls
}
