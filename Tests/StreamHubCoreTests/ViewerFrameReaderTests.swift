import NIOCore
import NIOWebSocket
import Testing

@testable import StreamHubCore

@Suite struct ViewerFrameReaderTests {
    /// A masked client frame.
    private func frame(_ opcode: UInt8, _ payload: [UInt8], fin: Bool = true) -> [UInt8] {
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
    func framesSplitAcrossReadsComeOutWholeAndUnmasked(chunk: Int) throws {
        var reader = ViewerFrameReader(maxFrameSize: 4096)
        let wire = frame(0x1, Array("hello".utf8)) + frame(0x9, [7]) + frame(0x2, Array(repeating: 9, count: 200))
        var frames: [WebSocketFrame] = []
        for start in stride(from: 0, to: wire.count, by: chunk) {
            var bytes = ByteBuffer(bytes: wire[start..<min(start + chunk, wire.count)])
            reader.append(&bytes)
            while let next = try reader.next() { frames.append(next) }
        }
        #expect(frames.map(\.opcode) == [.text, .ping, .binary])
        #expect(frames[0].unmaskedData == ByteBuffer(string: "hello"))
        #expect(frames[2].length == 200 && frames.allSatisfy { $0.maskKey != nil && $0.fin })
    }

    @Test func oversizedAndMalformedControlFramesAreRefusedBeforeTheirPayload() {
        var tooBig = ViewerFrameReader(maxFrameSize: 4096)
        var header = ByteBuffer(bytes: [0x81, 0x80 | 126, 0x10, 0x01])  // 4097 bytes announced, none sent
        tooBig.append(&header)
        #expect(throws: ViewerFrameReader.Failure.tooBig) { try tooBig.next() }
        var fragmentedPing = ViewerFrameReader(maxFrameSize: 4096)
        var ping = ByteBuffer(bytes: frame(0x9, [1], fin: false))
        fragmentedPing.append(&ping)
        #expect(throws: ViewerFrameReader.Failure.protocolError) { try fragmentedPing.next() }
    }
}
