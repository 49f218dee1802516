import StreamHubIngest
import Testing

/// nginx-rtmp notifications as the module sent them, read into callbacks.
@Suite struct NginxRTMPCallbackTests {
    @Test(arguments: [
        ("nginx-rtmp-publish.form", IngestCall.publish), ("nginx-rtmp-update_publish.form", .update),
        ("nginx-rtmp-publish_done.form", .publishDone), ("nginx-rtmp-done.form", .other),
    ])
    func aRecordedPostBodyNamesItsCallAppAndStream(file: String, call: IngestCall) throws {
        let callback = try NginxRTMPCallback.parse(FormFields(try Recorded.bytes(file)))
        #expect(callback == IngestCallback(server: .nginxRTMP, call: call, app: "live", name: "stream42"))
    }

    @Test(arguments: [("nginx-rtmp-get-publish.query", IngestCall.publish), ("nginx-rtmp-get-publish_done.query", .publishDone)])
    func notifyMethodGetAppendsASecondQuestionMarkAndStillReads(file: String, call: IngestCall) throws {
        let fields = FormFields(try Recorded.bytes(file), questionMarkSeparates: true)
        #expect(fields["secret"] == "S")
        #expect(try NginxRTMPCallback.parse(fields) == IngestCallback(server: .nginxRTMP, call: call, app: "getlive", name: "stream42"))
    }

    @Test func fieldsArePercentDecodedAndTheModulesOwnComeFirstAndWin() throws {
        let fields = FormFields(try Recorded.bytes("nginx-rtmp-publish.form"))
        #expect(fields["flashver"] == "FMLE/3.0 (compatible; Lavf59.27")
        #expect(fields["token"] == "abc123", "the broadcaster's query string comes last")
        let spoofed = FormFields(Array("app=live&call=publish&name=real&name=spoofed&call=publish_done&x=a+b%2Bc%zz%4".utf8))
        #expect(try NginxRTMPCallback.parse(spoofed) == IngestCallback(server: .nginxRTMP, call: .publish, app: "live", name: "real"))
        #expect(spoofed["x"] == "a b+c%zz%4", "a stray % stays as it is")
    }

    @Test func updatesForPlayersAndUnknownCallsAreOtherAndNoCallIsRefused() throws {
        #expect(try NginxRTMPCallback.parse(FormFields(Array("call=update_play&app=live&name=s".utf8))).call == .other)
        #expect(try NginxRTMPCallback.parse(FormFields(Array("call=connect&app=live".utf8))).call == .other)
        #expect(throws: IngestRefusal.self) { try NginxRTMPCallback.parse(FormFields(Array("app=live&name=s".utf8))) }
    }
}
