import Foundation
import StreamHubCore
import StreamHubHTTP
import StreamHubIngest
import StreamHubTestSupport
import Testing

/// The ingest routes of a real hub, fed the callbacks media servers recorded (SRS is not packaged,
/// so its hooks are posted here to the URLs of `deploy/ingest/srs.conf`).
@Suite(.timeLimit(.minutes(1))) struct IngestCallbackTests {
    static let secret = "ingest-secret-for-tests"

    static func configuration(streamID: String = "{name}") throws -> StreamHubConfiguration {
        let template = try StreamIDTemplate(streamID)
        return TestHub.configuration { $0.ingest = IngestConfiguration(secrets: ["old-secret-still-valid", secret], streamID: template) }
    }

    static func recorded(_ name: String) throws -> String {
        try String(contentsOf: Repository.file("Tests/StreamHubIngestTests/Recorded/\(name)"), encoding: .utf8)
    }

    /// The `on_publish` URL of the shipped SRS example, on the test hub's port with `secret`.
    static func srsPath(secret: String = secret) throws -> String {
        let example = try String(contentsOf: Repository.file("deploy/ingest/srs.conf"), encoding: .utf8)
        guard let match = example.firstMatch(of: /on_publish\s+http:\/\/[^\/]+(\/\S+);/) else { throw TestFailure("no on_publish in srs.conf") }
        return String(match.1).replacingOccurrences(of: "REPLACE_WITH_INGEST_SECRET", with: secret)
    }

    /// SRS's own test of an answer (`srs_app_http_hooks.cpp`): status 200 or 201, and a body that is
    /// the number 0 or an object whose integer `code` is 0.
    static func srsAccepts(_ answer: HTTPAnswer) -> Bool {
        guard [200, 201].contains(answer.status) else { return false }
        if answer.body.trimmingCharacters(in: .whitespaces) == "0" { return true }
        return (answer.json["code"] as? Int) == 0
    }

    @Test(arguments: ["5", "4"])
    func srsHooksOfBothGenerationsStartAndEndTheStreamAsSRSExpectsItsAnswers(generation: String) async throws {
        try await TestHub.run(try Self.configuration()) { hub in
            let viewer = try await hub.join("stream42")
            _ = try await viewer.waitFor("stream_state")
            let path = try Self.srsPath()
            let published = try await hub.request(.post, path, body: try Self.recorded("srs-\(generation)-on_publish.json"), token: nil)
            #expect(Self.srsAccepts(published), "\(published.status) \(published.body)")
            #expect(published.json["stream_id"] as? String == "stream42" && published.json["id"] as? Int == 1)
            let started = try await viewer.waitFor("stream_started")
            #expect(started.data["source"] as? String == "srs" && started.data["app"] as? String == "live")
            let unpublished = try await hub.request(.post, path, body: try Self.recorded("srs-\(generation)-on_unpublish.json"), token: nil)
            #expect(Self.srsAccepts(unpublished))
            let ended = try await viewer.waitFor("stream_ended")
            #expect(ended.data["reason"] as? String == "publish_done" && ended.data["peak_viewers"] as? Int == 1)
            #expect(!viewer.frames.contains { $0.text.contains("abc123") || $0.text.contains("client_id") })
            let scrape = try await hub.scrape()
            #expect(scrape.value("streamhub_ingest_callbacks_total", ["server": "srs", "call": "publish", "result": "accepted"]) == 1)
            #expect(scrape.value("streamhub_ingest_callbacks_total", ["server": "srs", "call": "publish_done", "result": "accepted"]) == 1)
        }
    }

    @Test func srsRefusalsCarryANonZeroCodeAndOtherActionsAreAcceptedAndIgnored() async throws {
        try await TestHub.run(try Self.configuration()) { hub in
            let body = try Self.recorded("srs-5-on_publish.json")
            let wrong = try await hub.request(.post, try Self.srsPath(secret: "wrong-secret-wrong"), body: body, token: nil)
            #expect(wrong.status == 401 && wrong.json["code"] as? Int == 401 && !Self.srsAccepts(wrong))
            #expect(!wrong.body.contains(Self.secret))
            let missing = try await hub.request(.post, "/api/v1/ingest/srs", body: body, token: nil)
            #expect(missing.status == 401)
            let badName = try await hub.request(
                .post, try Self.srsPath(), body: body.replacingOccurrences(of: #""stream42""#, with: #""a/b""#), token: nil)
            #expect(badName.status == 400 && !Self.srsAccepts(badName) && (badName.json["error"] as? String)?.contains("stream id") == true)
            let notJSON = try await hub.request(.post, try Self.srsPath(), body: "action=on_publish", token: nil)
            #expect(notJSON.status == 400 && notJSON.json["code"] as? Int == 400)
            let huge = try await hub.request(.post, try Self.srsPath(), body: String(repeating: " ", count: 70_000) + "{}", token: nil)
            #expect(huge.status == 413 && huge.json["code"] as? Int == 413)
            let play = try await hub.request(.post, try Self.srsPath(), body: try Self.recorded("srs-5-on_play.json"), token: nil)
            #expect(Self.srsAccepts(play) && play.json["call"] as? String == "other")
            #expect(try await hub.get("/api/v1/streams/stream42").json["status"] as? String == "offline", "nothing was published")
            let scrape = try await hub.scrape()
            #expect(scrape.value("streamhub_ingest_callbacks_total", ["server": "srs", "call": "publish", "result": "refused"]) == 3)
            #expect(scrape.value("streamhub_ingest_callbacks_total", ["server": "srs", "call": "other", "result": "refused"]) == 1, "not JSON")
            #expect(scrape.value("streamhub_ingest_callbacks_total", ["server": "srs", "call": "other", "result": "accepted"]) == 1)
        }
    }

    @Test func anEncoderThatReconnectsStartsTheStreamAgainAndEverySecretWorks() async throws {
        try await TestHub.run(try Self.configuration(streamID: "{app}-{name}")) { hub in
            let viewer = try await hub.join("live-stream42")
            _ = try await viewer.waitFor("stream_state")
            let publish = try Self.recorded("nginx-rtmp-publish.form")
            for secret in ["old-secret-still-valid", Self.secret] {
                let answer = try await hub.request(.post, "/api/v1/ingest/nginx-rtmp?secret=\(secret)", body: publish, token: nil)
                #expect(answer.status == 200 && answer.json["stream_id"] as? String == "live-stream42")
            }
            _ = try await viewer.waitFor("stream_started", count: 2)
            let done = try await hub.request(
                .post, "/api/v1/ingest/nginx-rtmp?secret=\(Self.secret)", body: try Self.recorded("nginx-rtmp-done.form"), token: nil)
            #expect(done.status == 200 && done.json["call"] as? String == "other", "call=done is not an end")
            #expect(try await hub.get("/api/v1/streams/live-stream42").json["status"] as? String == "live")
        }
    }

    @Test func withoutAnIngestSecretTheRoutesAreNotThere() async throws {
        try await TestHub.run(TestHub.configuration()) { hub in
            let answer = try await hub.request(
                .post, "/api/v1/ingest/nginx-rtmp?secret=x", body: try Self.recorded("nginx-rtmp-publish.form"), token: nil)
            #expect(answer.status == 404 && answer.json["error"] is String)
            #expect(try await hub.request(.post, try Self.srsPath(), body: "{}", token: nil).status == 404)
        }
    }
}

/// What the real binary logs about ingest callbacks.
@Suite(.timeLimit(.minutes(1))) struct IngestLoggingTests {
    @Test func neitherTheSecretNorTheBroadcastersQueryStringOrAddressIsLoggedAtTraceLevel() async throws {
        let secret = IngestCallbackTests.secret
        let hub = try await HubProcess(["--ingest-secret", secret, "--log-level", "trace"])
        defer { hub.terminate() }
        let client = HubClient(port: hub.port)
        let query = try IngestCallbackTests.recorded("nginx-rtmp-get-publish.query").replacingOccurrences(of: "secret=S", with: "secret=\(secret)")
        #expect(try await client.get("/api/v1/ingest/nginx-rtmp?\(query)").status == 200)
        let srs = try IngestCallbackTests.recorded("srs-5-on_publish.json").replacingOccurrences(of: "127.0.0.1", with: "203.0.113.9")
        #expect(try await client.request(.post, try IngestCallbackTests.srsPath(), body: srs).status == 200)
        #expect(try await client.request(.post, "/api/v1/ingest/srs?secret=wrong-\(secret)", body: srs).status == 401)
        try await eventually("the callbacks logged") { hub.log.contains("Refused an ingest callback") ? true : nil }
        #expect(hub.log.contains("Stream went live"))
        for text in [secret, "abc123", "203.0.113.9", "addr="] {
            #expect(!hub.log.contains(text), "the log holds \(text)")
        }
    }
}
