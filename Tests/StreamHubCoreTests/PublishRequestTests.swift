import Testing

@testable import StreamHubCore

@Suite struct PublishRequestTests {
    private func parse(_ body: String) throws(PublishError) -> PublishRequest {
        try PublishRequest(body: Array(body.utf8)[...])
    }

    @Test func dropsFieldsTheHubSetsAndKeepsTheRest() throws {
        let ended = try parse(#"{"event":"stream_ended","data":{"stream_id":"x","timestamp":1,"peak_viewers":9,"reason":"done"}}"#)
        #expect(ended.event == .streamEnded)
        #expect(ended.members.map(\.key) == ["reason"])
        let quality = try parse(#"{"data":{"peak_viewers":9,"quality":"720p"},"event":"quality_changed"}"#)
        #expect(quality.members.map(\.key) == ["peak_viewers", "quality"], "peak_viewers is the hub's only on stream_ended")
    }

    @Test func missingDataMeansEmpty() throws {
        #expect(try parse(#"{"event":"stream_started"}"#).members.isEmpty)
    }

    @Test(arguments: [
        (#"{"event":"stream_started","data":[]}"#, PublishError.dataNotAnObject),
        (#"{"event":"viewer_count_changed"}"#, .serverOnlyEvent("viewer_count_changed")),
        (#"{"event":"stream_state"}"#, .serverOnlyEvent("stream_state")),
        (#"{"event":"nope"}"#, .unknownEvent("nope")),
        (#"{"event":7}"#, .eventNotAString),
        (#"{"data":{}}"#, .missingEvent),
        (#""stream_started""#, .notAnObject),
    ])
    func refusesWrongShapes(body: String, expected: PublishError) {
        #expect(throws: expected) { try parse(body) }
    }

    @Test func refusesBodiesOverTheLimitBeforeParsing() {
        let body = Array(repeating: UInt8(ascii: " "), count: PublishRequest.maxBodyBytes + 1)[...]
        #expect(throws: PublishError.payloadTooLarge(bytes: 65_537, limit: 65_536)) { try PublishRequest(body: body) }
    }
}
