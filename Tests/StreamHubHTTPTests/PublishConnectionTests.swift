import Foundation
import Testing

/// Publishers keep connections open and may pipeline; a single node answers most publishes below the
/// router, and every answer must still come back in order.
@Suite(.timeLimit(.minutes(1))) struct PublishConnectionTests {
    private static func post(_ stream: String, _ event: String, chunked: Bool = false, close: Bool = false) -> String {
        let body = #"{"event":"\#(event)","data":{}}"#
        var request = "POST /api/v1/streams/\(stream)/events HTTP/1.1\r\nHost: hub\r\nAuthorization: Bearer \(TestHub.token)\r\n"
        if close { request += "Connection: close\r\n" }
        if chunked {
            let half = body.utf8.count / 2
            let (first, second) = (body.prefix(half), body.dropFirst(half))
            return request + "Transfer-Encoding: chunked\r\n\r\n"
                + "\(String(first.utf8.count, radix: 16))\r\n\(first)\r\n\(String(second.utf8.count, radix: 16))\r\n\(second)\r\n0\r\n\r\n"
        }
        return request + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    private static func getState(_ stream: String, close: Bool = false) -> String {
        "GET /api/v1/streams/\(stream) HTTP/1.1\r\nHost: hub\r\n\(close ? "Connection: close\r\n" : "")\r\n"
    }

    private static func json(_ answer: RawHTTPConnection.Answer) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any]) ?? [:]
    }

    /// Whether `value` is an RFC 9110 date (`Sun, 06 Nov 1994 08:49:37 GMT`) within a few seconds of now.
    private static func isCurrentHTTPDate(_ value: String?) -> Bool {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        guard let value, let date = formatter.date(from: value) else { return false }
        return abs(date.timeIntervalSinceNow) < 5
    }

    @Test func keepAlivePublishesAreAnsweredInOrderAndConnectionCloseEndsTheConnection() async throws {
        try await TestHub.run { hub in
            let viewer = try await hub.join("s")
            let requests =
                Self.post("s", "stream_started") + Self.post("s", "quality_changed", chunked: true)
                + Self.post("s", "quality_changed") + Self.post("s", "stream_ended", close: true)
            let answers = try await RawHTTPConnection.exchange(port: hub.port, requests)
            #expect(answers.map(\.status) == [202, 202, 202, 202])
            #expect(answers.map { Self.json($0)["id"] as? Int } == [1, 2, 3, 4])
            #expect(answers.allSatisfy { $0.headers["content-type"] == "application/json" })
            #expect(answers.allSatisfy { Self.isCurrentHTTPDate($0.headers["date"]) }, "\(answers.map { $0.headers["date"] })")
            _ = try await viewer.waitFor("stream_ended")
            #expect(
                viewer.messages.map(\.event).filter { $0 != "viewer_count_changed" }.suffix(4) == [
                    "stream_started", "quality_changed", "quality_changed", "stream_ended",
                ])
        }
    }

    @Test func aChunkedPublishOver64KiBIsAJSON413() async throws {
        try await TestHub.run { hub in
            let chunk = String(repeating: " ", count: 40 * 1024)
            let request =
                "POST /api/v1/streams/s/events HTTP/1.1\r\nHost: hub\r\nAuthorization: Bearer \(TestHub.token)\r\nConnection: close\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n" + "a000\r\n\(chunk)\r\na000\r\n\(chunk)\r\n0\r\n\r\n"
            let answers = try await RawHTTPConnection.exchange(port: hub.port, request)
            #expect(answers.first?.status == 413 && (answers.first.map { Self.json($0)["error"] as? String } ?? nil)?.contains("65536") == true)
        }
    }

    @Test(arguments: [
        ("HTTP/1.1", "Connection: keep-alive, close\r\n"), ("HTTP/1.1", "Connection: Upgrade,Close\r\n"), ("HTTP/1.0", ""),
    ])
    func aRequestThatDoesNotKeepItsConnectionAliveEndsItAfterItsAnswer(version: String, connection: String) async throws {
        try await TestHub.run { hub in
            let body = #"{"event":"stream_started"}"#
            let publish =
                "POST /api/v1/streams/s/events \(version)\r\nHost: hub\r\nAuthorization: Bearer \(TestHub.token)\r\n\(connection)"
                + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
            let answers = try await RawHTTPConnection.exchange(port: hub.port, publish + Self.getState("s") + Self.getState("s"))
            #expect(answers.map(\.status) == [202], "closed after the first answer; what was pipelined behind it is not answered")
            #expect(answers.first?.headers["connection"] == "close")
            // The same rule on the general route, which Hummingbird answers.
            let get = "GET /api/v1/streams/s \(version)\r\nHost: hub\r\n\(connection)\r\n"
            let general = try await RawHTTPConnection.exchange(port: hub.port, get + Self.getState("s"))
            #expect(general.map(\.status) == [200])
        }
    }

    @Test func anHTTP10PublishAskingForKeepAliveKeepsTheConnection() async throws {
        try await TestHub.run { hub in
            let body = #"{"event":"stream_started"}"#
            let publish =
                "POST /api/v1/streams/s/events HTTP/1.0\r\nHost: hub\r\nAuthorization: Bearer \(TestHub.token)\r\nConnection: keep-alive\r\n"
                + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
            let answers = try await RawHTTPConnection.exchange(port: hub.port, publish + Self.getState("s", close: true))
            #expect(answers.map(\.status) == [202, 200])
        }
    }

    @Test func aPublishPipelinedBehindAnotherRequestIsAnsweredAfterIt() async throws {
        try await TestHub.run { hub in
            let requests = Self.getState("s") + Self.post("s", "stream_started") + Self.getState("s", close: true)
            let answers = try await RawHTTPConnection.exchange(port: hub.port, requests)
            #expect(answers.map(\.status) == [200, 202, 200])
            #expect(Self.json(answers[0])["status"] as? String == "offline")
            #expect(Self.json(answers[2])["status"] as? String == "live")
        }
    }

    @Test func aBadPublishOnAKeptConnectionIsAnsweredAndTheNextOneStillWorks() async throws {
        try await TestHub.run { hub in
            let unauthorized = Self.post("s", "stream_started").replacingOccurrences(of: TestHub.token, with: "wrong")
            let requests =
                unauthorized + Self.post("bad$id", "stream_started") + Self.post("s", "stream_paused")
                + Self.post("s", "stream_started", close: true)
            let answers = try await RawHTTPConnection.exchange(port: hub.port, requests)
            #expect(answers.map(\.status) == [401, 400, 422, 202])
            #expect(answers[0].headers["www-authenticate"] == "Bearer")
            #expect(answers.dropLast().allSatisfy { Self.json($0)["error"] is String })
        }
    }
}
