import Testing

@Suite(.timeLimit(.minutes(1))) struct PublishErrorTests {
    private func publish(_ hub: TestHub, _ body: String, token: String? = TestHub.token, stream: String = "s") async throws -> HTTPAnswer {
        try await hub.request(.post, "/api/v1/streams/\(stream)/events", body: body, token: token)
    }

    @Test func eachBadPublishGetsItsStatusAndAJSONErrorSayingWhatWasWrong() async throws {
        try await TestHub.run { hub in
            let cases: [(body: String, status: Int, mentions: String)] = [
                ("{not json", 400, "JSON"),
                (#"{"event":"stream_started","data":{}} trailing"#, 400, "JSON"),
                ("[1,2]", 422, "object"),
                (#"{"data":{}}"#, 422, "event"),
                (#"{"event":"stream_paused","data":{}}"#, 422, "stream_paused"),
                (#"{"event":"viewer_count_changed","data":{}}"#, 422, "sent by the hub"),
                (#"{"event":"stream_state"}"#, 422, "sent by the hub"),
                (#"{"event":"quality_changed","data":[1]}"#, 422, "data"),
                (#"{"event":"quality_changed","data":"x"}"#, 422, "data"),
                (String(repeating: "[", count: 100) + String(repeating: "]", count: 100), 400, "nesting"),
            ]
            for testCase in cases {
                let answer = try await publish(hub, testCase.body)
                #expect(answer.status == testCase.status, "\(testCase.body.prefix(40))")
                #expect((answer.json["error"] as? String)?.contains(testCase.mentions) == true, "\(answer.body)")
            }
        }
    }

    @Test func bodyOver64KiBIs413() async throws {
        try await TestHub.run { hub in
            let padding = String(repeating: "x", count: 64 * 1024)
            let answer = try await publish(hub, #"{"event":"stream_started","data":{"pad":"\#(padding)"}}"#)
            #expect(answer.status == 413)
            #expect((answer.json["error"] as? String)?.contains("65536") == true)
            let fits = String(repeating: "x", count: 60 * 1024)
            #expect(try await publish(hub, #"{"event":"stream_started","data":{"pad":"\#(fits)"}}"#).status == 202)
        }
    }

    @Test func wrongOrMissingTokenIs401AndEveryConfiguredTokenWorks() async throws {
        try await TestHub.run(TestHub.configuration { $0.publishTokens = [TestHub.token, "next-token"] }) { hub in
            let body = #"{"event":"stream_started"}"#
            let missing = try await publish(hub, body, token: nil)
            #expect(missing.status == 401)
            #expect(missing.headers[.wwwAuthenticate] == "Bearer")
            #expect(missing.json["error"] != nil)
            #expect(try await publish(hub, body, token: "test-tokem").status == 401)
            #expect(try await publish(hub, body, token: "test-token-longer").status == 401)
            #expect(try await publish(hub, body, token: TestHub.token).status == 202)
            #expect(try await publish(hub, body, token: "next-token").status == 202)
        }
    }

    @Test func badStreamIDIs400() async throws {
        try await TestHub.run { hub in
            let long = String(repeating: "a", count: 129)
            for id in [long, "bad%20id", "bad$id"] {
                let answer = try await publish(hub, #"{"event":"stream_started"}"#, stream: id)
                #expect(answer.status == 400, "\(id)")
                #expect((answer.json["error"] as? String)?.contains("stream_id") == true)
            }
            let uuid = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
            #expect(try await publish(hub, #"{"event":"stream_started"}"#, stream: uuid).status == 202)
            #expect(try await hub.request(.get, "/api/v1/streams/bad$id").status == 400)
        }
    }

    @Test func aStreamIDWithPercentEscapesIsTheIDTheyDecodeTo() async throws {
        try await TestHub.run { hub in
            let viewer = try await TestViewer.join(port: hub.port, stream: "cup%3Afinal")
            _ = try await viewer.waitFor("stream_state")
            #expect(viewer.messages[0].data["stream_id"] as? String == "cup:final")
            let answer = try await publish(hub, #"{"event":"stream_started"}"#, stream: "cup%3afinal")
            #expect(answer.status == 202 && answer.json["stream_id"] as? String == "cup:final")
            _ = try await viewer.waitFor("stream_started")
            #expect(try await hub.get("/api/v1/streams/cup%3Afinal").json["status"] as? String == "live")
            #expect(try await hub.get("/api/v1/streams/cup%2Ffinal").status == 400, "an escaped / is no stream id either")
        }
    }
}
