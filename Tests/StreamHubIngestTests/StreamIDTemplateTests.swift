import StreamHubCore
import StreamHubIngest
import Testing

/// `--ingest-stream-id`: patterns over `{app}` and `{name}`.
@Suite struct StreamIDTemplateTests {
    @Test func theDefaultIsTheNameAndAPatternJoinsAppAndName() throws {
        #expect(StreamIDTemplate.name.streamID(app: "live", name: "match-1") == StreamID("match-1"))
        #expect(try StreamIDTemplate("{app}-{name}").streamID(app: "live", name: "match-1") == StreamID("live-match-1"))
        #expect(try StreamIDTemplate("rtmp:{name}").streamID(app: "live", name: "m") == StreamID("rtmp:m"))
    }

    @Test func aNameThatMakesNoValidStreamIDGivesNone() throws {
        #expect(StreamIDTemplate.name.streamID(app: "live", name: "") == nil)
        #expect(StreamIDTemplate.name.streamID(app: "live", name: "a/b") == nil)
        #expect(StreamIDTemplate.name.streamID(app: "live", name: "caf\u{e9}") == nil)
        #expect(StreamIDTemplate.name.streamID(app: "live", name: String(repeating: "a", count: 129)) == nil)
    }

    @Test(arguments: [
        ("{stream}", StreamIDTemplate.Invalid.unknownPlaceholder("{stream}")), ("{name", .unknownPlaceholder("{name")),
        ("live", .noPlaceholder), ("live/{name}", .badLiteral("live/")), ("", .noPlaceholder),
    ])
    func aPatternThatCannotWorkIsRefusedAtStart(pattern: String, invalid: StreamIDTemplate.Invalid) {
        #expect(throws: invalid) { try StreamIDTemplate(pattern) }
    }
}
