import Testing

@testable import StreamHubCore

@Suite struct JSONScannerTests {
    private func value(_ text: String) throws(JSONSyntaxError) -> String {
        String(decoding: try JSONScanner.value(in: Array(text.utf8)[...]), as: UTF8.self)
    }

    @Test(arguments: [
        "0", "-0", "1.5e10", "-12.25E-3", "true", "false", "null", #""a\"b\\c\/\u00e9\ud83d\ude00""#,
        "[]", "{}", #"[1,{"a":[null]}]"#, #"{"a":1,"a":2}"#,
    ])
    func acceptsValidJSON(text: String) throws {
        #expect(try value(" \n\(text)\t ") == text)
    }

    @Test(arguments: [
        "", "01", "1.", ".5", "-", "1e", "tru", "nul", "[1,]", "{\"a\":1,}", "{a:1}", "[1 2]", "\"unterminated",
        "\"bad \\x escape\"", "\"\u{01}\"", "\"\\ud800\"", "1 2", "{\"a\" 1}", "[", "\"\\u12G4\"",
    ])
    func rejectsInvalidJSON(text: String) {
        #expect(throws: JSONSyntaxError.self) { try value(text) }
    }

    @Test func rejectsInvalidUTF8InStrings() {
        #expect(throws: JSONSyntaxError.self) { try JSONScanner.value(in: [0x22, 0xFF, 0x22][...]) }
        #expect(throws: JSONSyntaxError.self) { try JSONScanner.value(in: Array(#""ascii first"#.utf8 + [0xC3, 0x22])[...]) }
    }

    @Test func decodesStringsWhateverFollowsTheirPlainASCIIStart() {
        func decoded(_ json: [UInt8]) -> String? { JSONScanner.string(json[...]) }
        #expect(decoded(Array(#""plain""#.utf8)) == "plain")
        #expect(decoded(Array(#""""#.utf8)) == "")
        #expect(decoded(Array("\"café ok\"".utf8)) == "café ok")
        #expect(decoded(Array(#""tab\tthen \u00e9 and \"quotes\"""#.utf8)) == "tab\tthen é and \"quotes\"")
    }

    @Test func errorNamesTheOffset() {
        #expect(throws: JSONSyntaxError(offset: 7, problem: "expected ',' or '}' in object")) { try value(#"{"a":1 "b":2}"#) }
    }

    @Test func deepNestingIsRejectedNotRecursedInto() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONSyntaxError.self) { try value(deep) }
        let fine = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(throws: Never.self) { try value(fine) }
    }

    @Test func membersKeepValuesAsTheirSourceBytesAndDecodeKeys() throws {
        let object = try JSONScanner.value(in: Array(#"{"bitrate":6000.0, "n\u0061me" : {"x" : [1 , 2]}}"#.utf8)[...])
        let members = try #require(JSONScanner.members(ofObject: object))
        #expect(members.map(\.key) == ["bitrate", "name"])
        #expect(members.map { String(decoding: $0.value, as: UTF8.self) } == ["6000.0", #"{"x" : [1 , 2]}"#])
        #expect(JSONScanner.members(ofObject: Array("[1]".utf8)[...]) == nil)
        #expect(JSONScanner.string(Array(#""caf\u00e9""#.utf8)[...]) == "café")
    }

    @Test func objectValidatesTheDocumentAndReadsItsMembersInOnePass() throws {
        let members = try #require(try JSONScanner.object(in: Array(#" {"a":"x","b":{"c":[true]}} "#.utf8)[...]))
        #expect(members.map(\.key) == ["a", "b"])
        #expect(members.map { String(decoding: $0.value, as: UTF8.self) } == [#""x""#, #"{"c":[true]}"#])
        #expect(try JSONScanner.object(in: Array("[1]".utf8)[...]) == nil)
        #expect(throws: JSONSyntaxError.self) { try JSONScanner.object(in: Array(#"{"a":1} {"#.utf8)[...]) }
        #expect(throws: JSONSyntaxError.self) { try JSONScanner.object(in: Array(#"{"a":"\x"}"#.utf8)[...]) }
    }
}
