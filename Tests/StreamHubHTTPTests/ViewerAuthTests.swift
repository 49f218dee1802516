import Foundation
import JWTKit
import StreamHubAuth
import StreamHubCore
import StreamHubHTTP
import StreamHubTestSupport
import Testing

/// Private streams: a real hub with viewer authentication, real viewers on loopback.
@Suite(.timeLimit(.minutes(1))) struct ViewerAuthTests {
    static let secret = "viewer-secret-of-at-least-32-bytes"

    struct Claims: JWTPayload {
        var sub: SubjectClaim
        var exp: ExpirationClaim
        var streams: [String]
        func verify(using algorithm: some JWTAlgorithm) throws {}
    }

    static func token(streams: [String] = ["match-*"], expiresIn seconds: Double = 3600, secret: String = secret) async throws -> String {
        try await JWTKeyCollection().add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
            .sign(Claims(sub: "viewer-1", exp: .init(value: Date().addingTimeInterval(seconds)), streams: streams))
    }

    static func configuration(leeway: Duration = .seconds(30)) async throws -> StreamHubConfiguration {
        let authenticator = try await JWTViewerAuthenticator(ViewerAuthConfiguration(secrets: [secret], leeway: leeway))
        return TestHub.configuration { $0.viewerAuthenticator = authenticator }
    }

    private func refusal(_ hub: TestHub, _ path: String, headers: [String] = []) async throws -> (status: Int, error: String) {
        var options = TestViewer.Options()
        options.extraHeaders = headers
        guard case .refused(let status, _, let body) = try await TestViewer.connect(port: hub.port, path: path, options: options) else {
            throw TestFailure("upgraded: \(path)")
        }
        let error = (try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])?["error"] as? String ?? body
        return (status, error)
    }

    @Test func aViewerNeedsATokenThatCoversItsStreamInTheQueryOrAsBearer() async throws {
        try await TestHub.run(try await Self.configuration()) { hub in
            let token = try await Self.token()
            let missing = try await refusal(hub, "/api/v1/streams/match-1/ws")
            #expect(missing.status == 401 && missing.error.contains("no viewer token"))
            let wrong = try await refusal(
                hub, "/api/v1/streams/match-1/ws?token=\(try await Self.token(secret: "another-secret-another-secret-another"))")
            #expect(wrong.status == 401 && wrong.error.contains("signature") && !wrong.error.contains(token.prefix(16)))
            let forbidden = try await refusal(hub, "/api/v1/streams/league-1/ws?token=\(token)")
            #expect(forbidden.status == 403 && forbidden.error.contains("streams"))
            let inQuery = try await TestViewer.resume(port: hub.port, stream: "match-1", since: nil, epoch: nil, query: "token=\(token)")
            _ = try await inQuery.waitFor("stream_state")
            var bearer = TestViewer.Options()
            bearer.extraHeaders = ["Authorization: Bearer \(token)"]
            _ = try await TestViewer.join(port: hub.port, stream: "match-2", options: bearer).waitFor("stream_state")
            let counts = hub.observer.counts
            #expect(counts.rejected[.unauthorized] == 2 && counts.rejected[.forbidden] == 1)
            let scrape = try await hub.scrape()
            #expect(scrape.value("streamhub_connections_rejected_total", ["reason": "unauthorized"]) == 2)
            #expect(scrape.value("streamhub_connections_rejected_total", ["reason": "forbidden"]) == 1)
        }
    }

    @Test func aViewerIsClosedWith4001WhenItsTokenExpiresPlusTheLeewayAndNotBefore() async throws {
        try await TestHub.run(try await Self.configuration(leeway: .milliseconds(500))) { hub in
            // exp has whole seconds: expiry lands 3.5 to 4.5 s from now, time enough to connect on a loaded machine.
            let token = try await Self.token(expiresIn: 4)
            let expires = Double(Int(Date().timeIntervalSince1970 + 4)) + 0.5
            let viewer = try await TestViewer.resume(port: hub.port, stream: "match-1", since: nil, epoch: nil, query: "token=\(token)")
            _ = try await viewer.waitFor("stream_state")
            try await viewer.waitUntilClosed(timeout: .seconds(10))
            let closedAt = Date().timeIntervalSince1970
            #expect(viewer.closeCode == 4001)
            // Not before exp + leeway; the upper bound leaves a loaded CI machine its scheduling delays.
            #expect(closedAt >= expires && closedAt < expires + 3, "closed \(closedAt - expires) s after exp + leeway")
            _ = try await eventually("token_expired counted") { hub.observer.counts.closed[.tokenExpired] == 1 ? true : nil }
        }
    }

    @Test func readingAStreamsStateNeedsAViewerTokenForItOrAPublishToken() async throws {
        try await TestHub.run(try await Self.configuration()) { hub in
            let path = "/api/v1/streams/match-1"
            let anonymous = try await hub.get(path)
            #expect(anonymous.status == 401 && anonymous.json["error"] as? String != nil)
            #expect(try await hub.request(.get, path).status == 200, "a publish token reads any stream")
            #expect(try await hub.get("\(path)?token=\(try await Self.token())").status == 200)
            #expect(try await hub.request(.get, path, token: try await Self.token()).status == 200, "as Bearer")
            #expect(try await hub.get("\(path)?token=\(try await Self.token(streams: ["other"]))").status == 403)
            #expect(try await hub.get("\(path)?token=junk").status == 401)
        }
    }
}

/// Tokens never reach a log line, at any level.
@Suite(.timeLimit(.minutes(1))) struct ViewerTokenLoggingTests {
    @Test func noTokenOrSecretAppearsInTheLogAtTraceLevel() async throws {
        let secret = ViewerAuthTests.secret
        let hub = try await HubProcess(["--viewer-jwt-secret", secret, "--log-level", "trace"])
        defer { hub.terminate() }
        let good = try await ViewerAuthTests.token(streams: ["s"])
        let forged = try await ViewerAuthTests.token(streams: ["s"], secret: "forged-secret-forged-secret-forged")
        let viewer = try await TestViewer.resume(port: hub.port, stream: "s", since: nil, epoch: nil, query: "token=\(good)")
        _ = try await viewer.waitFor("stream_state")
        for token in [forged, "not.a.token"] {
            _ = try await TestViewer.connect(port: hub.port, path: "/api/v1/streams/s/ws?token=\(token)")
            var bearer = TestViewer.Options()
            bearer.extraHeaders = ["Authorization: Bearer \(token)"]
            _ = try await TestViewer.connect(port: hub.port, path: "/api/v1/streams/s/ws", options: bearer)
        }
        _ = try await HubClient(port: hub.port).get("/api/v1/streams/s?token=\(good)")
        await viewer.close()
        try await eventually("the refusals logged") { hub.log.contains("Viewer refused") ? true : nil }
        for secretText in [secret, good, forged, String(good.split(separator: ".")[2]), "not.a.token"] {
            #expect(!hub.log.contains(secretText), "the log holds \(secretText.prefix(12))…")
        }
    }
}
