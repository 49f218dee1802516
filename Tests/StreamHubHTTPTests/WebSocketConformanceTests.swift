import StreamHubTestSupport
import Testing

/// RFC 6455 for everything a viewer can send, over raw TCP against a real hub: the cases of the
/// Autobahn testsuite's sections 1–7 that apply to a server which ignores data messages.
@Suite(.timeLimit(.minutes(1))) struct WebSocketConformanceTests {
    enum Outcome: Sendable, CustomStringConvertible {
        /// The hub closes with this code.
        case closes(UInt16)
        /// The hub answers these pings with pongs, in order, and stays open.
        case pongs([[UInt8]])
        /// The hub echoes this close code.
        case echoesClose(UInt16)

        var description: String {
            switch self {
            case .closes(let code): "closes with \(code)"
            case .pongs(let payloads): "answers \(payloads.count) pings"
            case .echoesClose(let code): "echoes close \(code)"
            }
        }
    }

    struct Case: Sendable {
        let name: String
        /// The frames, each sent in its own write.
        let writes: [[UInt8]]
        let outcome: Outcome
        var testDescription: String { "\(name): \(outcome)" }
    }

    static let ping = Frame.client(0x9, Array("probe".utf8))

    static func text(_ bytes: [UInt8], fin: Bool = true) -> [UInt8] { Frame.client(0x1, bytes, fin: fin) }
    static func continuation(_ bytes: [UInt8], fin: Bool = true) -> [UInt8] { Frame.client(0x0, bytes, fin: fin) }
    static func close(_ code: UInt16, _ reason: [UInt8] = []) -> [UInt8] { Frame.client(0x8, [UInt8(code >> 8), UInt8(code & 0xFF)] + reason) }

    static let cases: [Case] = [
        // 1: data messages are read and ignored.
        Case(name: "1.1 text", writes: [text(Array("Hello".utf8)), ping], outcome: .pongs([Array("probe".utf8)])),
        Case(name: "1.2 binary", writes: [Frame.client(0x2, Array(repeating: 0xFE, count: 4096)), ping], outcome: .pongs([Array("probe".utf8)])),
        Case(name: "1.x empty text", writes: [text([]), ping], outcome: .pongs([Array("probe".utf8)])),
        // 2: pings and pongs.
        Case(name: "2.1 ping without payload", writes: [Frame.client(0x9, [])], outcome: .pongs([[]])),
        Case(
            name: "2.4 ping of 125 bytes", writes: [Frame.client(0x9, Array(repeating: 0xFE, count: 125))],
            outcome: .pongs([Array(repeating: 0xFE, count: 125)])),
        Case(name: "2.5 ping of 126 bytes", writes: [Frame.client(0x9, Array(repeating: 0xFE, count: 126))], outcome: .closes(1002)),
        Case(name: "2.7 unsolicited pong", writes: [Frame.client(0xA, [1, 2]), ping], outcome: .pongs([Array("probe".utf8)])),
        Case(name: "2.10 ten pings", writes: (0..<10).map { Frame.client(0x9, [UInt8($0)]) }, outcome: .pongs((0..<10).map { [UInt8($0)] })),
        // 3: reserved bits.
        Case(name: "3.1 RSV1 on text", writes: [Frame.client(0x1, Array("x".utf8), rsv: 4)], outcome: .closes(1002)),
        Case(name: "3.7 RSV on close", writes: [Frame.client(0x8, [0x03, 0xE8], rsv: 7)], outcome: .closes(1002)),
        // 4: reserved opcodes.
        Case(name: "4.1.1 opcode 3", writes: [Frame.client(0x3, [])], outcome: .closes(1002)),
        Case(name: "4.1.5 opcode 7", writes: [Frame.client(0x7, [1])], outcome: .closes(1002)),
        Case(name: "4.2.1 opcode 11", writes: [Frame.client(0xB, [])], outcome: .closes(1002)),
        Case(name: "4.2.5 opcode 15", writes: [Frame.client(0xF, [1])], outcome: .closes(1002)),
        // 5: fragmentation.
        Case(name: "5.1 fragmented ping", writes: [Frame.client(0x9, [1], fin: false)], outcome: .closes(1002)),
        Case(name: "5.9 continuation without a start", writes: [continuation(Array("x".utf8))], outcome: .closes(1002)),
        Case(
            name: "5.6 ping between fragments", writes: [text([0x61], fin: false), ping, continuation([0x62])], outcome: .pongs([Array("probe".utf8)])
        ),
        Case(name: "5.18 new text inside a fragmented one", writes: [text([0x61], fin: false), text([0x62])], outcome: .closes(1002)),
        // 6: UTF-8.
        Case(
            name: "6.2 valid, every boundary", writes: [text(Array("\u{7F}\u{80}\u{7FF}\u{800}\u{FFFF}\u{10000}\u{10FFFF}".utf8)), ping],
            outcome: .pongs([Array("probe".utf8)])),
        Case(
            name: "6.2.3 valid, split inside a character", writes: [text([0xCE, 0xBA, 0xE1], fin: false), continuation([0xBD, 0xB9]), ping],
            outcome: .pongs([Array("probe".utf8)])),
        Case(name: "6.3 overlong two bytes", writes: [text([0xC0, 0xAF])], outcome: .closes(1007)),
        Case(name: "6.21 surrogate", writes: [text([0x61, 0xED, 0xA0, 0x80])], outcome: .closes(1007)),
        Case(name: "6.20 above U+10FFFF", writes: [text([0xF4, 0x90, 0x80, 0x80])], outcome: .closes(1007)),
        Case(name: "6.14 truncated at the end", writes: [text([0x61, 0xE2, 0x82])], outcome: .closes(1007)),
        Case(
            name: "6.4.x broken across fragments", writes: [text([0xCE, 0xBA], fin: false), continuation([0xED, 0xA0, 0x80])], outcome: .closes(1007)),
        Case(name: "6.x lone continuation byte", writes: [text([0x80])], outcome: .closes(1007)),
        // 7: closing.
        Case(name: "7.1 close without payload", writes: [Frame.client(0x8, [])], outcome: .echoesClose(1000)),
        Case(name: "7.3.2 close with 1 byte", writes: [Frame.client(0x8, [0x03])], outcome: .closes(1002)),
        Case(name: "7.3.4 close with a reason", writes: [close(1000, Array("bye".utf8))], outcome: .echoesClose(1000)),
        Case(name: "7.3.5 close with a 123-byte reason", writes: [close(1000, Array(repeating: 0x2A, count: 123))], outcome: .echoesClose(1000)),
        Case(name: "7.5.1 close reason not UTF-8", writes: [close(1000, [0xCE, 0xBA, 0xFF])], outcome: .closes(1007)),
        Case(name: "7.7 code 3000", writes: [close(3000)], outcome: .echoesClose(3000)),
        Case(name: "7.7 code 1011", writes: [close(1011)], outcome: .echoesClose(1011)),
        Case(name: "7.9 code 0", writes: [close(0)], outcome: .closes(1002)),
        Case(name: "7.9 code 1005", writes: [close(1005)], outcome: .closes(1002)),
        Case(name: "7.9 code 1015", writes: [close(1015)], outcome: .closes(1002)),
        Case(name: "7.9 code 2999", writes: [close(2999)], outcome: .closes(1002)),
        Case(name: "7.13 code 5000", writes: [close(5000)], outcome: .closes(1002)),
    ]

    /// Every case on its own connection to one hub, one after the other.
    @Test func viewerFramesGetTheAnswersRFC6455Asks() async throws {
        try await TestHub.run { hub in
            for testCase in Self.cases {
                let socket = try await RawWebSocket.open(port: hub.port, stream: "s")
                for write in testCase.writes { try await socket.client.send(write) }
                switch testCase.outcome {
                case .closes(let code), .echoesClose(let code):
                    let close = try await socket.waitForClose()
                    #expect(close == code, "\(testCase.testDescription)")
                    try await socket.client.waitUntilClosed(timeout: .seconds(5))
                case .pongs(let payloads):
                    let pongs = try await eventually("\(testCase.name): \(payloads.count) pongs") {
                        let pongs = socket.frames().filter { $0.opcode == 0xA }
                        return pongs.count >= payloads.count ? pongs : nil
                    }
                    #expect(pongs.map(\.payload) == payloads, "\(testCase.testDescription)")
                    #expect(!socket.client.isClosed && !socket.frames().contains { $0.opcode == 0x8 }, "\(testCase.testDescription)")
                    await socket.client.close()
                }
            }
        }
    }

    /// Autobahn 6.4.x: a strict server fails at the bad byte, before the rest of the frame arrives.
    @Test func invalidTextClosesBeforeTheRestOfItsFrameArrives() async throws {
        try await TestHub.run { hub in
            let socket = try await RawWebSocket.open(port: hub.port, stream: "s")
            let whole = Self.text(Array("κόσμε".utf8) + [0xF4, 0x90, 0x80, 0x80] + Array("edited".utf8))
            try await socket.client.send(Array(whole.prefix(6 + 10 + 2)))  // header and mask, "κόσμε", the bad lead and one byte
            #expect(try await socket.waitForClose() == 1007)
        }
    }
}

/// WebSocket frames as bytes on the wire.
enum Frame {
    /// A masked client frame; `rsv` is RSV1–RSV3 as three bits.
    static func client(_ opcode: UInt8, _ payload: [UInt8], fin: Bool = true, rsv: UInt8 = 0) -> [UInt8] {
        let key: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]
        var bytes: [UInt8] = [(fin ? 0x80 : 0) | (rsv << 4) | opcode]
        if payload.count < 126 {
            bytes.append(0x80 | UInt8(payload.count))
        } else {
            bytes += [0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        }
        return bytes + key + payload.enumerated().map { $0.element ^ key[$0.offset % 4] }
    }

    /// The server's (unmasked) frames in `bytes`, as far as they are complete.
    static func server(_ bytes: ArraySlice<UInt8>) -> [(opcode: UInt8, payload: [UInt8])] {
        var frames: [(UInt8, [UInt8])] = []
        var rest = bytes
        while rest.count >= 2 {
            let opcode = rest[rest.startIndex] & 0x0F
            var length = Int(rest[rest.startIndex + 1] & 0x7F)
            var header = 2
            if length == 126 {
                guard rest.count >= 4 else { break }
                length = Int(rest[rest.startIndex + 2]) << 8 | Int(rest[rest.startIndex + 3])
                header = 4
            } else if length == 127 {
                guard rest.count >= 10 else { break }
                length = rest[(rest.startIndex + 2)..<(rest.startIndex + 10)].reduce(0) { $0 << 8 | Int($1) }
                header = 10
            }
            guard rest.count >= header + length else { break }
            frames.append((opcode, Array(rest.dropFirst(header).prefix(length))))
            rest = rest.dropFirst(header + length)
        }
        return frames
    }
}

/// A viewer connection driven byte by byte: the upgrade, then raw frames.
struct RawWebSocket {
    let client: RawTCPClient
    /// Where the server's frames start in what the client received.
    let framesStart: Int

    static func open(port: Int, stream: String) async throws -> RawWebSocket {
        let client = try await RawTCPClient.connect(port: port)
        try await client.send(
            "GET /api/v1/streams/\(stream)/ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        let start = try await eventually("101 Switching Protocols") { () -> Int? in
            let received = client.received
            guard let end = received.indices.dropLast(3).first(where: { received[$0..<($0 + 4)] == [13, 10, 13, 10] }) else { return nil }
            return end + 4
        }
        let socket = RawWebSocket(client: client, framesStart: start)
        #expect(String(decoding: client.received.prefix(12), as: UTF8.self) == "HTTP/1.1 101")
        _ = try await eventually("stream_state") { socket.frames().first }
        return socket
    }

    func frames() -> [(opcode: UInt8, payload: [UInt8])] { Frame.server(client.received.dropFirst(framesStart)) }

    /// The code of the hub's close frame.
    func waitForClose() async throws -> UInt16 {
        let payload = try await eventually("a close frame") { frames().first { $0.opcode == 0x8 }?.payload }
        return payload.count >= 2 ? UInt16(payload[0]) << 8 | UInt16(payload[1]) : 1005
    }
}
