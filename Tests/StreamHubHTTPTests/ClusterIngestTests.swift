import Foundation
import StreamHubHTTP
import StreamHubIngest
import StreamHubTestSupport
import Testing

/// Ingest callbacks behind a load balancer: a media server's callbacks reach whichever node.
@Suite(.enabled(if: RedisServer.shouldRun, "redis-server is not installed"), .timeLimit(.minutes(1)))
struct ClusterIngestTests {
    static func callback(_ hub: TestHub, _ file: String) async throws {
        let answer = try await hub.request(
            .post, "/api/v1/ingest/nginx-rtmp?secret=\(IngestCallbackTests.secret)", body: try IngestCallbackTests.recorded(file), token: nil)
        guard answer.status == 200 else { throw TestFailure("\(file) answered \(answer.status): \(answer.body)") }
    }

    @Test func updatesThatReachAnotherNodeKeepTheStreamLiveAndSilenceEndsItOnceForAll() async throws {
        let redis = try await RedisServer()
        defer { redis.stop() }
        let ingest: @Sendable (inout StreamHubConfiguration) -> Void = {
            $0.ingest = IngestConfiguration(secrets: [IngestCallbackTests.secret], timeout: .seconds(2))
        }
        try await ClusterTests.withTwoNodes(redis.url, edit: ingest) { a, b in
            let viewers = [try await a.join("stream42"), try await b.join("stream42")]
            try await Self.callback(a, "nginx-rtmp-publish.form")
            try await Self.callback(a, "nginx-rtmp-update_publish.form")
            for viewer in viewers { _ = try await viewer.waitFor("stream_started") }
            // Node a hears nothing more; node b hears an update every half second for twice the timeout.
            for _ in 0..<8 {
                try await Task.sleep(for: .milliseconds(500))
                try await Self.callback(b, "nginx-rtmp-update_publish.form")
            }
            #expect(viewers.allSatisfy { $0.messages("stream_ended").isEmpty }, "node a ended a stream node b still heard from")
            let silentSince = ContinuousClock.now
            for viewer in viewers {
                let ended = try await viewer.waitFor("stream_ended", timeout: .seconds(6))
                #expect(ended.data["reason"] as? String == "ingest_timeout")
            }
            #expect(ContinuousClock.now - silentSince >= .milliseconds(1500), "ended before the timeout")
            try await Task.sleep(for: .seconds(3))
            #expect(viewers.allSatisfy { $0.messages("stream_ended").count == 1 }, "both nodes timed it out, one ended it")
        }
    }
}
