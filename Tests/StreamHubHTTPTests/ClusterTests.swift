import Foundation
import StreamHubCluster
import StreamHubHTTP
import StreamHubRedis
import StreamHubTestSupport
import Testing

/// Two or three real hubs sharing one real redis-server on loopback.
@Suite(.enabled(if: RedisServer.shouldRun, "redis-server is not installed"), .timeLimit(.minutes(1)))
struct ClusterTests {
    /// A cluster node for tests: fast count ticks, a short node TTL, health checked often.
    ///
    /// Tests run in parallel, each with its own redis-server; one stopped and restarted on its port
    /// can meet another test's server there, so in-process clusters get a namespace of their own.
    /// Clusters with a `streamhub` process keep the default one, the only one its flags give.
    static func node(
        _ name: String, _ redis: RedisURL, namespace: String = "streamhub", nodeTTL: Duration = .seconds(2),
        edit: (inout StreamHubConfiguration) -> Void = { _ in }
    ) -> StreamHubConfiguration {
        TestHub.configuration {
            $0.broker = .redis(ClusterConfiguration(redisURL: redis, nodeTTL: nodeTTL, namespace: namespace, redisTimeout: .seconds(1)))
            $0.nodeName = name
            $0.hub.viewerCountInterval = .milliseconds(100)
            $0.health.interval = .milliseconds(200)
            $0.health.alertFor = .milliseconds(200)
            edit(&$0)
        }
    }

    /// A namespace no other test uses.
    static func uniqueNamespace() -> String { "test-\(UUID().uuidString.prefix(8))" }

    /// Runs `body` with two cluster nodes up and linked to `redis`.
    static func withTwoNodes(
        _ redis: RedisURL,
        namespace: String = uniqueNamespace(),
        nodeTTL: Duration = .seconds(2),
        edit: @escaping @Sendable (inout StreamHubConfiguration) -> Void = { _ in },
        _ body: @Sendable (TestHub, TestHub) async throws -> Void
    ) async throws {
        try await TestHub.run(node("a", redis, namespace: namespace, nodeTTL: nodeTTL, edit: edit)) { a in
            try await TestHub.run(node("b", redis, namespace: namespace, nodeTTL: nodeTTL, edit: edit)) { b in
                try await waitUntilLinked(a, b)
                try await body(a, b)
            }
        }
    }

    @Test func eventsPublishedOnOneNodeReachViewersOnEveryNodeWithIdsFromRedis() async throws {
        let redis = try await RedisServer()
        defer { redis.stop() }
        let namespace = Self.uniqueNamespace()
        try await Self.withTwoNodes(redis.url, namespace: namespace) { a, b in
            let onA = try await a.join("match")
            let onB = try await b.join("match")
            let started = try await a.publish("match", "stream_started", data: #"{"title":"Final"}"#)
            #expect(started.json["cluster"] as? String == "published")
            let quality = try await b.publish("match", "quality_changed", data: #"{"quality":"1080p","bitrate_kbps":6000}"#)
            #expect(quality.json["id"] as? Int == 2, "ids come from Redis, whichever node accepts the event")
            for viewer in [onA, onB] {
                let events = try await viewer.waitForMessages("both events") { $0.filter { $0.event != "viewer_count_changed" }.count == 3 }
                    .filter { $0.event != "viewer_count_changed" }
                #expect(events.map(\.event) == ["stream_state", "stream_started", "quality_changed"])
                #expect(events.dropFirst().map(\.id) == [1, 2])
                #expect(events[1].data["title"] as? String == "Final")
                #expect(events[1].data["timestamp"] as? String == started.json["timestamp"] as? String, "every node shows the accepting node's time")
                #expect(events[2].data["bitrate_kbps"] as? Int == 6000)
            }
            // A node that joins later tells its viewers what the others do.
            try await TestHub.run(Self.node("c", redis.url, namespace: namespace)) { c in
                try await waitUntilLinked(c)
                let late = try await c.join("match")
                let state = try await late.waitFor("stream_state").data
                #expect(state["status"] as? String == "live")
                #expect((state["quality"] as? [String: Any])?["quality"] as? String == "1080p")
                #expect(try await late.waitFor("stream_state").id == 2)
            }
            let scrape = try await a.scrape()
            #expect(scrape.value("streamhub_cluster_messages_total", ["direction": "out"]) ?? 0 >= 1)
            #expect(scrape.value("streamhub_cluster_messages_total", ["direction": "in"]) ?? 0 >= 1)
            #expect(scrape.value("streamhub_cluster_lag_seconds_count") ?? 0 >= 1)
        }
    }

    @Test func viewerCountsAndPeaksAreClusterWide() async throws {
        let redis = try await RedisServer()
        defer { redis.stop() }
        try await Self.withTwoNodes(redis.url) { a, b in
            let onA = [try await a.join("s"), try await a.join("s")]
            let onB = try await b.join("s")
            try await onB.waitForViewerCount(3)
            try await onA[0].waitForViewerCount(3)
            for hub in [a, b] {
                let state = try await hub.get("/api/v1/streams/s").json
                #expect(state["viewer_count"] as? Int == 3 && state["peak_viewers"] as? Int == 3)
            }
            #expect(try await b.publish("s", "stream_ended").json["viewers_local"] as? Int == 1)
            let ended = try await onA[0].waitFor("stream_ended")
            #expect(ended.data["peak_viewers"] as? Int == 3)
            await onA[1].close()
            try await onB.waitForViewerCount(2)
            let scrape = try await b.scrape()
            #expect(scrape.value("streamhub_cluster_nodes") == 2)
            #expect(scrape.value("streamhub_stream_viewers", ["stream_id": "s"]) == 1, "per-stream metrics stay this node's")
        }
    }

    @Test func aKilledNodeDropsOutOfEveryCountWithinTheNodeTTL() async throws {
        let redis = try await RedisServer()
        defer { redis.stop() }
        try await TestHub.run(Self.node("survivor", redis.url)) { survivor in
            let doomed = try await HubProcess([
                "--redis-url", "\(redis.url)", "--node-id", "doomed", "--node-ttl", "2s", "--viewer-count-interval", "100ms",
            ])
            let theirs = [try await TestViewer.join(port: doomed.port, stream: "s"), try await TestViewer.join(port: doomed.port, stream: "s")]
            let mine = try await survivor.join("s")
            try await mine.waitForViewerCount(3)
            kill(doomed.process.processIdentifier, SIGKILL)
            let killedAt = ContinuousClock.now
            try await mine.waitForViewerCount(1, timeout: .seconds(6))
            #expect(ContinuousClock.now - killedAt < .seconds(4), "gone within the 2 s TTL plus a report tick")
            #expect(try await survivor.get("/api/v1/streams/s").json["viewer_count"] as? Int == 1)
            #expect(try await survivor.scrape().value("streamhub_cluster_nodes") == 1)
            for viewer in theirs { await viewer.close() }
        }
    }

    @Test func aNodeStoppedWithSIGTERMLeavesEveryCountAtOnce() async throws {
        let redis = try await RedisServer()
        defer { redis.stop() }
        try await TestHub.run(Self.node("survivor", redis.url)) { survivor in
            let leaving = try await HubProcess(["--redis-url", "\(redis.url)", "--node-id", "leaving", "--viewer-count-interval", "100ms"])
            let theirs = try await TestViewer.join(port: leaving.port, stream: "s")
            let mine = try await survivor.join("s")
            try await mine.waitForViewerCount(2)
            leaving.terminate()
            let stoppedAt = ContinuousClock.now
            try await mine.waitForViewerCount(1, timeout: .seconds(5))
            #expect(ContinuousClock.now - stoppedAt < .seconds(5), "well within the default 15 s node TTL")
            #expect(try await leaving.exitStatus(timeout: .seconds(12)) == 0)
            // Its viewers' close was reported before it said it was leaving: wait for that, well within the 15 s TTL.
            try await eventually(timeout: .seconds(5), "the stopped node gone") {
                try await survivor.scrape().value("streamhub_cluster_nodes") == 1 ? true : nil
            }
            await theirs.close()
        }
    }

    @Test func aRedisOutageKeepsEachNodeServingAndBothRecoverByThemselves() async throws {
        let redis = try await RedisServer()
        // A node TTL longer than the outage's checks take on a busy machine: the other node's count must hold through them.
        try await Self.withTwoNodes(redis.url, nodeTTL: .seconds(20)) { a, b in
            let onA = try await a.join("s")
            let onB = try await b.join("s")
            try await onA.waitForViewerCount(2)
            redis.stop()
            try await eventually("cluster_up 0") { try await a.clusterUp() ? nil : true }
            let local = try await a.publish("s", "stream_started")
            #expect(local.json["cluster"] as? String == "local_only")
            _ = try await onA.waitFor("stream_started")
            let ready = try await eventually("cluster_link failing in /readyz") { () async throws -> HTTPAnswer? in
                let answer = try await a.get("/readyz")
                return answer.body.contains("cluster_link") ? answer : nil
            }
            #expect(ready.status == 200, "a Redis outage must not take nodes out of the load balancer")
            try await eventually("cluster_link alert firing") {
                try await a.scrape().value("streamhub_health_alert_firing", ["check": "cluster_link"]) == 1 ? true : nil
            }
            #expect(try await a.get("/api/v1/streams/s").json["viewer_count"] as? Int == 2, "the other node's last count holds until its TTL")

            let restarted = try await RedisServer(port: redis.port)
            defer { restarted.stop() }
            try await waitUntilLinked(a, b, timeout: .seconds(15))
            // This Redis kept nothing (no persistence): a's ids still never go back after its local-only event.
            let published = try await a.publish("s", "quality_changed", data: #"{"quality":"720p"}"#)
            #expect(published.json["cluster"] as? String == "published")
            #expect(published.json["id"] as? Int == 2)
            _ = try await onA.waitFor("quality_changed")
            _ = try await onB.waitFor("quality_changed")
            #expect(onB.messages("stream_started").isEmpty, "the local-only event stayed on its node")
            let third = try await b.join("s")
            try await onA.waitForViewerCount(3, timeout: .seconds(5))
            #expect(try await a.scrape().value("streamhub_cluster_reconnects_total") ?? 0 >= 1)
            await third.close()
        }
    }

    @Test func aRedisPasswordIsSentAndAWrongOneIsReportedAndRetried() async throws {
        let redis = try await RedisServer(password: "s3cret")
        defer { redis.stop() }
        let good = try RedisURL("redis://:s3cret@127.0.0.1:\(redis.port)")
        try await Self.withTwoNodes(good) { a, b in
            let viewer = try await b.join("s")
            #expect(try await a.publish("s", "stream_started").json["cluster"] as? String == "published")
            _ = try await viewer.waitFor("stream_started")
        }
        let wrong = try await HubProcess(["--redis-url", "redis://:wrong@127.0.0.1:\(redis.port)", "--node-id", "wrong"])
        try await eventually("the refusal logged") { wrong.log.contains("Redis refused the credentials") ? true : nil }
        #expect(!wrong.log.contains("wrong@"), "the password is never logged")
        let answer = try await HubClient(port: wrong.port).request(
            .post, "/api/v1/streams/s/events", body: #"{"event":"stream_started"}"#, token: TestHub.token)
        #expect(answer.status == 202 && answer.json["cluster"] as? String == "local_only")
        wrong.terminate()
        _ = try await wrong.exitStatus(timeout: .seconds(5))
    }

    @Test func malformedMessagesFromRedisAreDroppedCountedAndNeverForwarded() async throws {
        let redis = try await RedisServer()
        defer { redis.stop() }
        let namespace = Self.uniqueNamespace()
        try await TestHub.run(Self.node("a", redis.url, namespace: namespace)) { a in
            try await waitUntilLinked(a)
            let viewer = try await a.join("s")
            let intruder = try await RedisConnection.connect(to: redis.url)
            for payload in ["not json", #"{"node":"x","instance":1,"stream_id":"s","event":"stream_state","id":1}"#] {
                try await intruder.send(RedisCommand("PUBLISH", ["\(namespace):events", payload]))
            }
            try await intruder.send(RedisCommand("PUBLISH", ["\(namespace):counts", #"{"node":"x","counts":{"s":1000}}"#]))
            await intruder.close()
            try await eventually("3 dropped") { try await a.scrape().value("streamhub_cluster_dropped_messages_total") == 3 ? true : nil }
            let forwarded = viewer.messages.filter { $0.event != "stream_state" && $0.event != "viewer_count_changed" }
            #expect(forwarded.isEmpty)
            #expect(try await a.get("/api/v1/streams/s").json["viewer_count"] as? Int == 1)
        }
    }

    /// What crashed a whole cluster before: one message with values out of range, seen by every node at once.
    @Test func hostileValuesOnTheRedisChannelsAreDroppedAndEveryNodeKeepsServing() async throws {
        let redis = try await RedisServer()
        defer { redis.stop() }
        let namespace = Self.uniqueNamespace()
        try await Self.withTwoNodes(redis.url, namespace: namespace) { a, b in
            let viewer = try await b.join("victim")
            _ = try await viewer.waitFor("stream_state")
            let intruder = try await RedisConnection.connect(to: redis.url)
            let envelope = { (id: String, at: String, peak: String) in
                #"{"node":"x","instance":1,"stream_id":"victim","event":"stream_started","accepted_at_ns":\#(at),"data":{},"id":\#(id),"peak_viewers":\#(peak),"epoch":"E"}"#
            }
            let now = "\(Int64(Date().timeIntervalSince1970 * 1e9))"
            let hostile: [(String, String)] = [
                ("counts", #"{"node":"x","instance":1,"full":true,"counts":{"victim":9223372036854775807}}"#),
                ("counts", #"{"node":"y","instance":1,"full":true,"counts":{"victim":-9223372036854775808}}"#),
                ("counts", #"{"node":"z","instance":1,"full":true,"counts":{"victim":10000001}}"#),
                ("events", envelope("1", "-9223372036854775808", "0")),
                ("events", envelope("1", "9223372036854775807", "0")),
                ("events", envelope("9223372036854775807", now, "0")),
                ("events", envelope("1", now, "9223372036854775807")),
                ("events", String(repeating: "[", count: 100_000)),
                ("events", #"{"node":"x","data":"# + String(repeating: "x", count: 8 << 20) + "}"),
            ]
            for (channel, payload) in hostile {
                try await intruder.send(RedisCommand("PUBLISH", ["\(namespace):\(channel)", payload]))
            }
            await intruder.close()
            for node in [a, b] {
                try await eventually("\(hostile.count) dropped") {
                    try await node.scrape().value("streamhub_cluster_dropped_messages_total") == Double(hostile.count) ? true : nil
                }
            }
            // Both nodes still serve: a publish on one reaches the viewer on the other, with a true count.
            #expect(try await a.publish("victim", "stream_started").status == 202)
            _ = try await viewer.waitFor("stream_started")
            #expect(try await a.get("/api/v1/streams/victim").json["viewer_count"] as? Int == 1)
        }
    }
}

/// Waits until every hub reports `streamhub_cluster_up 1`.
private func waitUntilLinked(_ hubs: TestHub..., timeout: Duration = .seconds(10)) async throws {
    for hub in hubs { try await eventually(timeout: timeout, "node linked to Redis") { try await hub.clusterUp() ? true : nil } }
}

extension TestHub {
    /// `streamhub_cluster_up` is 1.
    func clusterUp() async throws -> Bool {
        try await scrape().value("streamhub_cluster_up") == 1
    }
}
