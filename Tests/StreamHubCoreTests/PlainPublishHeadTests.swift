import StreamHubCore
import Testing

/// Which publish heads are read from the connection's bytes, and that everything else is left to the full HTTP pipeline.
struct PlainPublishHeadTests {
    private static let body = #"{"event":"stream_started"}"#

    private static func parse(_ text: String) -> PlainPublishHead.Parse {
        Array(text.utf8).withUnsafeBytes { PlainPublishHead.parse($0) }
    }

    private static func head(_ headers: String, version: String = "HTTP/1.1", target: String = "/api/v1/streams/s/events") -> String {
        "POST \(target) \(version)\r\n\(headers)\r\n"
    }

    @Test func aPublishWithALengthIsReadWithItsTokenAndWhereItsBodyStarts() {
        let text = Self.head("Host: hub\r\nAuthorization: Bearer t0k3n\r\nContent-Type: application/json\r\nContent-Length: 26\r\n") + Self.body
        guard case .head(let head) = Self.parse(text) else {
            Issue.record("not plain: \(text)")
            return
        }
        #expect(head.target == "/api/v1/streams/s/events")
        #expect(head.authorization == "Bearer t0k3n")
        #expect(!head.closesConnection)
        #expect(head.headBytes == text.utf8.count - 26 && head.bodyBytes == 26)
    }

    @Test func namesAreCaseInsensitiveAndValuesTrimmed() {
        let text = Self.head("content-LENGTH:2\r\nCONNECTION:  Close \r\nauthorization:\tBearer t\t\r\n") + "{}"
        guard case .head(let head) = Self.parse(text) else {
            Issue.record("not plain")
            return
        }
        #expect(head.closesConnection && head.authorization == "Bearer t" && head.bodyBytes == 2)
    }

    @Test func aHeadIsReadWhetherOrNotItsBodyHasArrived() {
        #expect(Self.parse(Self.head("Content-Length: 26\r\n")) != .other)
        #expect(Self.parse(Self.head("Content-Length: 26\r\n") + "{\"ev") != .other)
    }

    @Test(arguments: [
        ("HTTP/1.0", Self.head("Content-Length: 2\r\n", version: "HTTP/1.0")),
        ("GET", "GET /api/v1/streams/s/events HTTP/1.1\r\nContent-Length: 2\r\n\r\n"),
        ("no length", Self.head("Host: hub\r\n")),
        ("two lengths", Self.head("Content-Length: 2\r\nContent-Length: 2\r\n")),
        ("a signed length", Self.head("Content-Length: +2\r\n")),
        ("a length over 64 KiB", Self.head("Content-Length: 65537\r\n")),
        ("chunked", Self.head("Content-Length: 2\r\nTransfer-Encoding: chunked\r\n")),
        ("expect", Self.head("Content-Length: 2\r\nExpect: 100-continue\r\n")),
        ("upgrade", Self.head("Content-Length: 2\r\nUpgrade: websocket\r\n")),
        ("a tab after the length, which llhttp refuses", Self.head("Content-Length: 2\t\r\n")),
        ("a tab before the length", Self.head("Content-Length:\t2\r\n")),
        ("a tab after close, which llhttp does not read as close", Self.head("Content-Length: 2\r\nConnection: close\t\r\n")),
        ("a connection token list", Self.head("Content-Length: 2\r\nConnection: keep-alive, close\r\n")),
        ("two tokens", Self.head("Content-Length: 2\r\nAuthorization: Bearer a\r\nAuthorization: Bearer b\r\n")),
        ("a folded line", Self.head("Content-Length: 2\r\nX-A: b\r\n c\r\n")),
        ("a bare LF", "POST /api/v1/streams/s/events HTTP/1.1\nContent-Length: 2\n\n"),
        ("a space before the colon", Self.head("Content-Length : 2\r\n")),
        ("a name outside tchar", Self.head("Content-Length: 2\r\nX(a): b\r\n")),
        ("a control byte in a value", Self.head("Content-Length: 2\r\nX-A: b\u{01}c\r\n")),
        ("a byte over 0x7E in a value", Self.head("Content-Length: 2\r\nX-A: café\r\n")),
        ("a space in the target", Self.head("Content-Length: 2\r\n", target: "/api/v1/streams/s /events")),
        ("a target not from the root", Self.head("Content-Length: 2\r\n", target: "api/v1/streams/s/events")),
        ("an absolute target", Self.head("Content-Length: 2\r\n", target: "http://hub/api/v1/streams/s/events")),
        ("a fragment", Self.head("Content-Length: 2\r\n", target: "/api/v1/streams/s/events#top")),
        ("a head not all arrived", "POST /api/v1/streams/s/events HTTP/1.1\r\nContent-Length: 2\r\n"),
        ("a head over 16 KiB", Self.head("Content-Length: 2\r\nX-A: \(String(repeating: "a", count: 16 * 1024))\r\n")),
    ])
    func everythingElseIsLeftToThePipeline(what: String, text: String) {
        #expect(Self.parse(text) == .other, "\(what)")
    }
}
