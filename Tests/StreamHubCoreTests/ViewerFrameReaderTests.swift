import NIOCore
import NIOWebSocket
import Testing

@testable import StreamHubCore

@Suite struct ViewerFrameReaderTests {
    /// A masked client frame.
    static func frame(_ opcode: UInt8, _ payload: [UInt8], fin: Bool = true) -> [UInt8] {
        let key: [UInt8] = [1, 2, 3, 4]
        var bytes: [UInt8] = [(fin ? 0x80 : 0) | opcode]
        if payload.count < 126 {
            bytes.append(0x80 | UInt8(payload.count))
        } else {
            bytes += [0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        }
        bytes += key
        bytes += payload.enumerated().map { $0.element ^ key[$0.offset % 4] }
        return bytes
    }

    @Test(arguments: [1, 2, 5, 7, 300])
    func controlFramesComeOutWholeAndDataFramesAsTheirHeaderThenUnmaskedPayload(chunk: Int) throws {
        var reader = ViewerFrameReader(maxFrameSize: 4096)
        let wire =
            Self.frame(0x1, Array("hello".utf8)) + Self.frame(0x9, [7]) + Self.frame(0x2, Array(repeating: 9, count: 200)) + Self.frame(0x1, [])
        var pieces: [ViewerFrameReader.Piece] = []
        for start in stride(from: 0, to: wire.count, by: chunk) {
            var bytes = ByteBuffer(bytes: wire[start..<min(start + chunk, wire.count)])
            reader.append(&bytes)
            while let next = try reader.next() { pieces.append(next) }
        }
        var payloads: [[UInt8]] = [[]]
        var headers: [ViewerFrameReader.DataHeader] = []
        var controls: [WebSocketFrame] = []
        for piece in pieces {
            switch piece {
            case .dataHeader(let header): headers.append(header)
            case .payload(let bytes, let ends):
                payloads[payloads.count - 1] += bytes.readableBytesView
                if ends { payloads.append([]) }
            case .control(let frame): controls.append(frame)
            }
        }
        #expect(headers.map(\.opcode) == [.text, .binary, .text])
        #expect(headers.map(\.length) == [5, 200, 0] && headers.allSatisfy { $0.masked && $0.fin && $0.reservedBits == 0 })
        #expect(payloads.dropLast() == [Array("hello".utf8), Array(repeating: 9, count: 200), []])
        #expect(controls.map(\.opcode) == [.ping] && controls[0].unmaskedData == ByteBuffer(bytes: [7]))
    }

    @Test func oversizedAndMalformedControlFramesAreRefusedBeforeTheirPayload() {
        var tooBig = ViewerFrameReader(maxFrameSize: 4096)
        var header = ByteBuffer(bytes: [0x81, 0x80 | 126, 0x10, 0x01])  // 4097 bytes announced, none sent
        tooBig.append(&header)
        #expect(throws: ViewerFrameReader.Failure.tooBig) { try tooBig.next() }
        var fragmentedPing = ViewerFrameReader(maxFrameSize: 4096)
        var ping = ByteBuffer(bytes: Self.frame(0x9, [1], fin: false))
        fragmentedPing.append(&ping)
        #expect(throws: ViewerFrameReader.Failure.protocolError) { try fragmentedPing.next() }
    }
}

@Suite struct UTF8ValidatorTests {
    @Test(arguments: [
        "", "hello", "κόσμε", "\u{7F}\u{80}\u{7FF}\u{800}\u{FFFF}\u{10000}\u{10FFFF}", "\u{D7FF}\u{E000}\u{FFFD}",
    ])
    func validTextPassesWhateverWayItIsCut(text: String) {
        let bytes = Array(text.utf8)
        for cut in 0...bytes.count {
            var validator = UTF8Validator()
            let first = validator.validate(ByteBuffer(bytes: bytes[..<cut]))
            let second = validator.validate(ByteBuffer(bytes: bytes[cut...]))
            #expect(first && second)
            #expect(validator.isComplete)
        }
    }

    @Test(
        arguments: [
            ([0xC0, 0x80], 1), ([0xC1, 0xBF], 1), ([0xE0, 0x80, 0x80], 2), ([0xF0, 0x80, 0x80, 0x80], 2),  // overlong forms
            ([0xED, 0xA0, 0x80], 2), ([0xED, 0xBF, 0xBF], 2),  // surrogates
            ([0xF4, 0x90, 0x80, 0x80], 2), ([0xF5, 0x80, 0x80, 0x80], 1), ([0xFF], 1),  // above U+10FFFF, never bytes
            ([0x80], 1), ([0xCE, 0xBA, 0xBF], 3), ([0xE2, 0x82, 0x41], 3),  // stray and missing continuations
        ] as [([UInt8], Int)])
    func invalidSequencesFailAtTheirFirstBadByte(bytes: [UInt8], badByte: Int) {
        var validator = UTF8Validator()
        let before = validator.validate(ByteBuffer(bytes: bytes.prefix(badByte - 1)))
        let atBadByte = validator.validate(ByteBuffer(bytes: bytes[(badByte - 1)...]))
        #expect(before, "valid up to the bad byte")
        #expect(!atBadByte)
    }

    @Test func aTruncatedSequenceIsIncomplete() {
        var validator = UTF8Validator()
        let valid = validator.validate(ByteBuffer(bytes: [0x61, 0xE2, 0x82]))
        #expect(valid && !validator.isComplete)
    }
}
