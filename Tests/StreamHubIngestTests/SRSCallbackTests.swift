import StreamHubIngest
import Testing

/// SRS `http_hooks` bodies of both generations read into callbacks.
@Suite struct SRSCallbackTests {
    @Test(arguments: [
        ("srs-5-on_publish.json", IngestCall.publish), ("srs-5-on_unpublish.json", .publishDone), ("srs-5-on_play.json", .other),
        ("srs-4-on_publish.json", .publish), ("srs-4-on_unpublish.json", .publishDone),
    ])
    func aRecordedHookNamesItsActionAppAndStream(file: String, call: IngestCall) throws {
        let callback = try SRSCallback.parse(try Recorded.bytes(file)[...])
        #expect(callback == IngestCallback(server: .srs, call: call, app: "live", name: "stream42"))
    }

    @Test(arguments: ["", "[]", "{", #"{"action": 3}"#, #"{"app":"live"}"#, String(repeating: "[", count: 100)])
    func aBodyThatIsNoHookIsA400NamingWhy(body: String) {
        #expect {
            try SRSCallback.parse(Array(body.utf8)[...])
        } throws: { error in
            (error as? IngestRefusal)?.status == 400
        }
    }
}
