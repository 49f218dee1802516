import StreamHubTestSupport
import Testing

/// Connections that hold the hub without finishing a request: each is closed by a deadline, and
/// the hub keeps serving everyone else meanwhile.
@Suite(.timeLimit(.minutes(1))) struct HTTPTimeoutTests {
    static let edge = TestHub.configuration {
        $0.edge.requestTimeout = .seconds(2)
        $0.edge.idleTimeout = .seconds(60)
    }

    @Test func silentAndHalfHeadConnectionsAreClosedAfterTheRequestTimeoutWhileOthersAreServed() async throws {
        try await TestHub.run(Self.edge) { hub in
            var attackers: [RawTCPClient] = []
            for index in 0..<200 {
                let client = try await RawTCPClient.connect(port: hub.port)
                if index.isMultiple(of: 2) { try await client.send("GET /api/v1/streams/s/ws HTTP/1.1\r\nHost: h\r\nUpgr") }
                attackers.append(client)
            }
            // Meanwhile a viewer joins and a publish lands.
            let viewer = try await hub.join("s")
            _ = try await viewer.waitFor("stream_state")
            #expect(try await hub.publish("s", "stream_started").status == 202)
            _ = try await viewer.waitFor("stream_started")
            for client in attackers { try await client.waitUntilClosed(timeout: .seconds(10)) }
            #expect(attackers.allSatisfy { $0.received.isEmpty }, "closed without an answer")
            let after = try await hub.scrape()
            #expect(after.value("streamhub_http_closed_total", ["reason": "request_timeout"]) == 200)
            #expect(after.value("streamhub_http_connections") ?? 99 <= 1, "the scrape's own connection at most")
            #expect(viewer.isConnected, "a viewer is not an HTTP connection: no timeout applies")
        }
    }

    @Test func openHTTPConnectionsAreCountedUntilTheyCloseOrBecomeViewers() async throws {
        try await TestHub.run { hub in
            var clients: [RawTCPClient] = []
            for _ in 0..<5 { clients.append(try await RawTCPClient.connect(port: hub.port)) }
            let viewer = try await hub.join("s")
            _ = try await viewer.waitFor("stream_state")
            // The five and the scrape's own connection; the viewer is no longer an HTTP connection.
            try await eventually("five silent connections counted") {
                try await hub.scrape().value("streamhub_http_connections") == 6 ? true : nil
            }
            for client in clients { await client.close() }
            try await eventually("closed connections no longer counted") {
                try await hub.scrape().value("streamhub_http_connections") == 1 ? true : nil
            }
        }
    }

    static let publish =
        "POST /api/v1/streams/s/events HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer \(TestHub.token)\r\n"
        + "Content-Length: 26\r\n\r\n{\"event\":\"stream_started\"}"

    @Test(arguments: ["GET /api/v1/streams/s HTTP/1.1\r\nHost: h\r\n\r\n", publish])
    func aKeepAliveConnectionSilentAfterItsAnswerIsClosedAfterTheIdleTimeout(request: String) async throws {
        let configuration = TestHub.configuration {
            $0.edge.requestTimeout = .seconds(1)
            $0.edge.idleTimeout = .seconds(5)
        }
        try await TestHub.run(configuration) { hub in
            let client = try await RawTCPClient.connect(port: hub.port)
            try await client.send(request)
            try await eventually("the answer") { client.received.count > 0 ? true : nil }
            // Longer than the request timeout, shorter than the idle one: still open.
            try await Task.sleep(for: .seconds(2))
            #expect(!client.isClosed, "an idle connection has the idle timeout, not the request timeout")
            try await client.waitUntilClosed(timeout: .seconds(10))
            #expect(try await hub.scrape().value("streamhub_http_closed_total", ["reason": "idle_timeout"]) == 1)
        }
    }

    @Test func aPublishWhoseBodyArrivesLaterIsAnsweredAndOneWhoseBodyStopsIsClosedAfterTheRequestTimeout() async throws {
        try await TestHub.run(Self.edge) { hub in
            let (head, body) = (Self.publish.dropLast(26), Self.publish.suffix(26))
            let late = try await RawTCPClient.connect(port: hub.port)
            try await late.send(String(head) + body.prefix(10))
            try await Task.sleep(for: .milliseconds(300))
            try await late.send(String(body.dropFirst(10)))
            try await eventually("the answer") { late.received.count > 0 ? true : nil }
            #expect(String(decoding: late.received, as: UTF8.self).hasPrefix("HTTP/1.1 202"))
            let stalled = try await RawTCPClient.connect(port: hub.port)
            try await stalled.send(String(head) + body.prefix(10))
            try await stalled.waitUntilClosed(timeout: .seconds(10))
            #expect(stalled.received.isEmpty)
            #expect(try await hub.scrape().value("streamhub_http_closed_total", ["reason": "request_timeout"]) == 1)
            #expect(!late.isClosed, "the answered connection is idle, with the idle timeout")
        }
    }

    @Test func aRequestHeadOver16KiBIsAnswered431AndTheConnectionClosed() async throws {
        try await TestHub.run { hub in
            let client = try await RawTCPClient.connect(port: hub.port)
            let padding = String(repeating: "a", count: 17 * 1024)
            try await client.send("GET /api/v1/streams/s HTTP/1.1\r\nHost: h\r\nX-Padding: \(padding)\r\n\r\n")
            try await client.waitUntilClosed(timeout: .seconds(5))
            let answer = String(decoding: client.received, as: UTF8.self)
            #expect(answer.hasPrefix("HTTP/1.1 431"), "\(answer.prefix(80))")
            #expect(answer.hasSuffix(#"{"error":"request head over 16 KiB"}"#))
            #expect(try await hub.scrape().value("streamhub_http_closed_total", ["reason": "head_too_large"]) == 1)
            // A head just under the limit is served.
            let fits = try await RawHTTPConnection.exchange(
                port: hub.port, "GET /api/v1/streams/s HTTP/1.1\r\nHost: h\r\nX-Padding: \(padding.prefix(15 * 1024))\r\nConnection: close\r\n\r\n")
            #expect(fits.map(\.status) == [200])
        }
    }

    @Test func aMalformedRequestIsAnswered400() async throws {
        try await TestHub.run { hub in
            let client = try await RawTCPClient.connect(port: hub.port)
            try await client.send("NOT HTTP AT ALL\r\n\r\n")
            try await client.waitUntilClosed(timeout: .seconds(5))
            let answer = String(decoding: client.received, as: UTF8.self)
            #expect(answer.hasPrefix("HTTP/1.1 400"), "\(answer.prefix(80))")
            #expect(answer.hasSuffix(#"{"error":"malformed HTTP request"}"#))
        }
    }
}
