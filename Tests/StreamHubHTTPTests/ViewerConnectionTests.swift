import NIOWebSocket
import StreamHubTestSupport
import Testing

@Suite(.timeLimit(.minutes(1))) struct ViewerConnectionTests {
    @Test func refusedUpgradesGetTheirStatusAndJSONErrorBeforeAnyUpgrade() async throws {
        try await TestHub.run(
            TestHub.configuration {
                $0.hub.allowedOrigins = .only(["https://player.example.com"])
                $0.hub.maxConnections = 2
            }
        ) { hub in
            func connect(_ path: String, origin: String? = nil) async throws -> (Int, [String: String], String) {
                switch try await TestViewer.connect(port: hub.port, path: path, options: .init(origin: origin)) {
                case .upgraded: return (101, [:], "")
                case .refused(let status, let headers, let body): return (status, headers, body)
                }
            }
            let (badStatus, _, badBody) = try await connect("/api/v1/streams/no%20spaces/ws")
            #expect(badStatus == 400)
            #expect(badBody.contains(#""error":"stream_id must be"#))
            let (originStatus, _, originBody) = try await connect("/api/v1/streams/s/ws", origin: "https://evil.example.com")
            #expect(originStatus == 403)
            #expect(originBody.contains("origin"))

            _ = try await hub.join("s", .init(origin: "https://player.example.com"))
            _ = try await hub.join("s")
            let (limitStatus, limitHeaders, limitBody) = try await connect("/api/v1/streams/s/ws")
            #expect(limitStatus == 503)
            #expect(limitHeaders["retry-after"] == "5")
            #expect(limitBody.contains("connection limit"))
            let ready = try await hub.request(.get, "/readyz")
            #expect(ready.status == 503, "at the limit new viewers would be refused")

            switch try await TestViewer.connect(port: hub.port, path: "/api/v1/streams/s/ws", options: .init(webSocketVersion: "8")) {
            case .upgraded: Issue.record("a handshake of version 8 was accepted")
            case .refused(let status, _, let body): #expect(status == 400 && body.contains("Sec-WebSocket-Version"))
            }
            let (otherPath, _, _) = try await connect("/healthz")
            #expect(otherPath == 404)
            let counts = hub.observer.counts.rejected
            #expect(counts[.badRequest] == 1 && counts[.origin] == 1 && counts[.limit] == 1)
        }
    }

    @Test func plainGETOnTheViewerURLIs426() async throws {
        try await TestHub.run { hub in
            let answer = try await hub.request(.get, "/api/v1/streams/s/ws")
            #expect(answer.status == 426)
            #expect(answer.json["error"] != nil)
            #expect(try await hub.request(.get, "/api/v1/streams/bad$id/ws").status == 400)
            #expect(try await hub.request(.get, "/healthz").status == 200)
            let unknown = try await hub.request(.get, "/nowhere")
            #expect(unknown.status == 404)
            #expect((unknown.json["error"] as? String)?.contains("/nowhere") == true)
            #expect(try await hub.request(.get, "/readyz").json["failing_checks"] as? [String] == [])
        }
    }

    @Test func clientPingGetsItsPongAndDataMessagesAreIgnored() async throws {
        try await TestHub.run { hub in
            let viewer = try await hub.join("s")
            _ = try await viewer.waitFor("stream_state")
            try await viewer.send(.text, Array("hello".utf8))
            try await viewer.send(.binary, [1, 2, 3])
            try await viewer.send(.ping, Array("are you there".utf8))
            let pong = try await eventually("pong") { viewer.frames.first { $0.opcode == .pong } }
            #expect(pong.text == "are you there")
            #expect(viewer.isConnected)
        }
    }

    @Test(arguments: [false, true])
    func messageOver4KiBClosesWith1009(fragmented: Bool) async throws {
        try await TestHub.run { hub in
            let viewer = try await hub.join("s")
            let bystander = try await hub.join("s")
            _ = try await viewer.waitFor("stream_state")
            if fragmented {
                try await viewer.send(.text, Array(repeating: 0x61, count: 3000), fin: false)
                try await viewer.send(.continuation, Array(repeating: 0x61, count: 3000), fin: true)
            } else {
                try await viewer.send(.text, Array(repeating: 0x61, count: 4097))
            }
            try await viewer.waitUntilClosed()
            #expect(viewer.closeCode == 1009)
            try await hub.publish("s", "stream_started")
            _ = try await bystander.waitFor("stream_started")
            #expect(hub.observer.counts.closed[.protocol] == 1)
        }
    }

    @Test func messageOfExactly4KiBIsAccepted() async throws {
        try await TestHub.run { hub in
            let viewer = try await hub.join("s")
            try await viewer.send(.text, Array(repeating: 0x61, count: 4096))
            try await hub.publish("s", "stream_started")
            _ = try await viewer.waitFor("stream_started")
            #expect(viewer.isConnected)
        }
    }

    @Test func clientCloseIsEchoedAndTheViewerLeavesTheCount() async throws {
        try await TestHub.run(TestHub.configuration { $0.hub.viewerCountInterval = .milliseconds(100) }) { hub in
            let viewer = try await hub.join("s")
            let other = try await hub.join("s")
            try await other.waitForViewerCount(2)  // otherwise 2 and back to 1 may fall within one count tick
            try await viewer.send(.connectionClose, [0x03, 0xE8])  // 1000
            try await viewer.waitUntilClosed()
            #expect(viewer.closeCode == 1000)
            let count = try await other.waitForMessages { $0.last?.event == "viewer_count_changed" && $0.last?.data["viewer_count"] as? Int == 1 }
            #expect(count.last?.data["peak_viewers"] as? Int == 2)
            #expect(hub.observer.counts.closed[.client] == 1)
        }
    }

    @Test func unmaskedClientFrameIsAProtocolError() async throws {
        try await TestHub.run { hub in
            let viewer = try await hub.join("s")
            _ = try await viewer.waitFor("stream_state")
            try await viewer.sendRaw([0x81, 0x02, 0x68, 0x69])  // "hi", unmasked
            try await viewer.waitUntilClosed()
            #expect(viewer.closeCode == 1002)
        }
    }
}
