import Testing

@testable import StreamHubCore

@Suite struct SmallTypeTests {
    @Test(arguments: [
        (0, "1970-01-01T00:00:00.000Z"), (951_782_400_123, "2000-02-29T00:00:00.123Z"),
        (1_795_624_663_007, "2026-11-25T16:37:43.007Z"), (-1, "1969-12-31T23:59:59.999Z"),
    ])
    func timestampsAreRFC3339UTCWithMilliseconds(milliseconds: Int64, text: String) {
        #expect(Timestamp(millisecondsSince1970: milliseconds).description == text)
    }

    @Test func integersAreWrittenInDecimal() {
        var writer = JSONWriter()
        writer.beginArray()
        for value in [0, 7, -7, 10, 1_000_000] { writer.integer(value) }
        writer.integer(Int64.min)
        writer.integer(UInt64.max)
        writer.endArray()
        #expect(String(decoding: writer.bytes, as: UTF8.self) == "[0,7,-7,10,1000000,-9223372036854775808,18446744073709551615]")
    }

    @Test func streamIDsAcceptUUIDsAndRefuseOthers() {
        #expect(StreamID("3f2504e0-4f89-11d3-9a0c-0305e82c3301") != nil)
        #expect(StreamID("a.b_c:d-E9") != nil)
        #expect(StreamID(String(repeating: "a", count: 128)) != nil)
        for bad in ["", String(repeating: "a", count: 129), "a b", "a/b", "é", "a\"b"] { #expect(StreamID(bad) == nil) }
    }

    @Test func tokensMatchExactlyAndAcceptRotation() {
        let tokens = PublishTokens(["current", "next"])
        #expect(tokens.accepts(authorization: "Bearer current"))
        #expect(tokens.accepts(authorization: "bearer next"))
        #expect(tokens.accepts(authorization: "BEARER next"))
        for bad in [nil, "", "Bearer ", "Bearer curren", "Bearer currentt", "Basic current", "current", "Bearer\tcurrent", "Bearxr current"] {
            #expect(!tokens.accepts(authorization: bad))
        }
    }

    @Test func originPolicy() {
        let only = OriginPolicy.only(["https://player.example.com"])
        #expect(only.allows(nil))
        #expect(only.allows("https://player.example.com"))
        #expect(!only.allows("https://player.example.com.evil.io"))
        #expect(OriginPolicy.only(["*", "https://a"]).allows("https://b"))
    }

    @Test func effectiveConnectionLimitKeepsAReserveOfDescriptors() {
        #expect(ConnectionLimit.effective(requested: nil, openFileLimit: 20_000) == 19_744)
        #expect(ConnectionLimit.effective(requested: 500, openFileLimit: 20_000) == 500)
        #expect(ConnectionLimit.effective(requested: 50_000, openFileLimit: 1024) == 768)
    }
}

@Suite struct StreamViewersFamilyTests {
    private func counts(_ pairs: [(String, Int)]) -> [(StreamID, Int)] { pairs.map { (StreamID($0.0)!, $0.1) } }

    @Test func keepsTheBusiestAndSumsTheRestAsOther() {
        let input = counts((0..<1000).map { ("s\($0)", $0 % 97) } + [("top", 500), ("second", 400)])
        let top = StreamViewersFamily.largest(3, of: input)
        #expect(top.map(\.0.rawValue).prefix(2) == ["top", "second"])
        #expect(top.map(\.1) == [500, 400, 96])
        var output: [UInt8] = []
        StreamViewersFamily(topStreams: 3).write(input, to: &output)
        let text = String(decoding: output, as: UTF8.self)
        let total = input.reduce(0) { $0 + $1.1 }
        #expect(text.contains("streamhub_stream_viewers{stream_id=\"(other)\"} \(total - 996)\n"))
        #expect(text.split(separator: "\n").filter { !$0.hasPrefix("#") }.count == 4)
    }

    @Test func fewerStreamsThanTheCapAreAllNamed() {
        let top = StreamViewersFamily.largest(100, of: counts([("a", 1), ("b", 3), ("c", 2)]))
        #expect(top.map(\.0.rawValue) == ["b", "c", "a"])
    }
}
