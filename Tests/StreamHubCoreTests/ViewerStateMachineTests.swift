import NIOCore
import NIOEmbedded
import NIOWebSocket
import Testing

@testable import StreamHubCore

@Suite struct ViewerStateMachineTests {
    /// A client frame, masked with a zero key so the payload reads the same either way.
    private func frame(
        _ opcode: WebSocketOpcode, _ payload: [UInt8] = [], fin: Bool = true, masked: Bool = true, rsv1: Bool = false
    )
        -> WebSocketFrame
    {
        WebSocketFrame(
            fin: fin, rsv1: rsv1, opcode: opcode, maskKey: masked ? WebSocketMaskingKey([0, 0, 0, 0]) : nil, data: ByteBuffer(bytes: payload))
    }

    private func closeFrame(code: UInt16) -> WebSocketFrame {
        var payload = ByteBuffer()
        payload.writeInteger(code)
        return frame(.connectionClose, Array(payload.readableBytesView))
    }

    @Test func pingsAreAnsweredWithTheirPayloadAndPongsYieldTheirEchoedValue() {
        var machine = ViewerStateMachine()
        #expect(machine.received(frame(.ping, [1, 2, 3])) == .sendPong(ByteBuffer(bytes: [1, 2, 3])))
        var echoed = ByteBuffer()
        echoed.writeInteger(UInt64(42))
        #expect(machine.received(frame(.pong, Array(echoed.readableBytesView))) == .pongReceived(42))
        #expect(machine.received(frame(.pong, [1])) == .none, "a pong that echoes no heartbeat ping")
    }

    @Test func unmaskedFramesAndReservedBitsAreProtocolErrors() {
        var machine = ViewerStateMachine()
        #expect(machine.received(frame(.text, masked: false)) == .close(.protocolError, cause: .protocol))
        #expect(machine.received(frame(.text, rsv1: true)) == .close(.protocolError, cause: .protocol))
        #expect(machine.received(frame(WebSocketOpcode(encodedWebSocketOpcode: 0x3)!)) == .close(.protocolError, cause: .protocol))
    }

    @Test func fragmentsCountTogetherAgainstTheLimitAndMustBeInSequence() {
        var machine = ViewerStateMachine(maxMessageBytes: 10)
        #expect(machine.received(frame(.continuation, [1])) == .close(.protocolError, cause: .protocol), "a continuation without a start")
        #expect(machine.received(frame(.text, Array(repeating: 0, count: 6), fin: false)) == .none)
        #expect(machine.received(frame(.text, [1])) == .close(.protocolError, cause: .protocol), "a new message inside a fragmented one")
        var fresh = ViewerStateMachine(maxMessageBytes: 10)
        #expect(fresh.received(frame(.binary, Array(repeating: 0, count: 6), fin: false)) == .none)
        #expect(fresh.received(frame(.continuation, Array(repeating: 0, count: 5))) == .close(.messageTooBig, cause: .protocol))
        var whole = ViewerStateMachine(maxMessageBytes: 10)
        #expect(whole.received(frame(.text, Array(repeating: 0, count: 10))) == .none)
        #expect(whole.received(frame(.text, Array(repeating: 0, count: 10))) == .none, "each message counts from zero")
    }

    @Test func textThatIsNotUTF8ClosesWith1007AtItsFirstBadByteEvenAcrossFragments() {
        var machine = ViewerStateMachine()
        let header = ViewerFrameReader.DataHeader(opcode: .text, fin: true, reservedBits: 0, masked: true, length: 10)
        #expect(machine.received(.dataHeader(header)) == .none)
        #expect(machine.received(.payload(ByteBuffer(bytes: [0x61, 0xED]), frameEnds: false)) == .none)
        #expect(
            machine.received(.payload(ByteBuffer(bytes: [0xA0]), frameEnds: false)) == .close(.invalidText, cause: .protocol), "before the frame ends"
        )
        var fragments = ViewerStateMachine()
        #expect(fragments.received(frame(.text, [0xCE], fin: false)) == .none, "a character may span fragments")
        #expect(fragments.received(frame(.continuation, [0xBA, 0xE2], fin: false)) == .none)
        #expect(fragments.received(frame(.continuation, [0x82])) == .close(.invalidText, cause: .protocol), "the message ends mid-character")
        var binary = ViewerStateMachine()
        #expect(binary.received(frame(.binary, [0xFF, 0xFE])) == .none, "binary messages are not text")
    }

    @Test func aCloseWithAOneBytePayloadIs1002AndWithAReasonThatIsNotUTF8Is1007() {
        var oneByte = ViewerStateMachine()
        #expect(oneByte.received(frame(.connectionClose, [0x03])) == .replyToClose(.protocolError, cause: .protocol))
        var badReason = ViewerStateMachine()
        #expect(badReason.received(frame(.connectionClose, [0x03, 0xE8, 0xFF])) == .replyToClose(.invalidText, cause: .protocol))
        var goodReason = ViewerStateMachine()
        #expect(goodReason.received(frame(.connectionClose, [0x03, 0xE8] + Array("κόσμε".utf8))) == .replyToClose(.echo(code: 1000), cause: .client))
    }

    @Test(arguments: [
        (UInt16(1000), UInt16(1000)), (1001, 1001), (1012, 1012), (4000, 4000), (0, 1002), (999, 1002), (1004, 1002), (1005, 1002),
        (1006, 1002), (1015, 1002), (2999, 1002), (5000, 1002),
    ])
    func aClientCloseIsEchoedWhenItsCodeMayBeSentAndRefusedOtherwise(sent: UInt16, answered: UInt16) {
        var machine = ViewerStateMachine()
        guard case .replyToClose(let reason, let cause) = machine.received(closeFrame(code: sent)) else {
            Issue.record("no reply to a close")
            return
        }
        #expect(reason.code == answered)
        #expect(cause == (answered == 1002 ? .protocol : .client))
        #expect(machine.state == .closing)
    }

    @Test func theHandshakeEndsWhenTheViewerAnswersTheHubsClose() {
        var machine = ViewerStateMachine()
        let first = machine.startClosing()
        let second = machine.startClosing()
        #expect(first && !second, "one close frame only")
        #expect(machine.received(frame(.ping)) == .none, "no pong after our close")
        #expect(machine.received(closeFrame(code: 1000)) == .closeSocket)
        machine.socketClosed()
        #expect(machine.received(frame(.ping)) == .none)
        #expect(machine.readFailed(tooBig: true) == .close(.messageTooBig, cause: .protocol))
    }
}

extension ViewerStateMachine {
    /// Feeds a whole frame as the reader would hand it over; the first action that is not `.none`.
    mutating func received(_ frame: WebSocketFrame) -> Action {
        guard !frame.opcode.isControlOpcode else { return received(.control(frame)) }
        let header = ViewerFrameReader.DataHeader(
            opcode: frame.opcode, fin: frame.fin, reservedBits: (frame.rsv1 ? 4 : 0) | (frame.rsv2 ? 2 : 0) | (frame.rsv3 ? 1 : 0),
            masked: frame.maskKey != nil, length: frame.length
        )
        let first = received(.dataHeader(header))
        guard first == .none else { return first }
        return received(.payload(frame.unmaskedData, frameEnds: true))
    }
}

@Suite struct StallWatchTests {
    @Test func aViewerThatSendsWhatWasQueuedKeepsGoingAndOneThatDoesNotStalls() {
        var watch = StallWatch()
        #expect(watch.check(queued: 0, written: 0) == .drained, "not watching")
        watch.start(written: 1000)  // 1,000 bytes handed over, some of them queued
        #expect(watch.check(queued: 500, written: 1500) == .progressing, "the first 1,000 bytes went out")
        #expect(watch.check(queued: 1400, written: 1600) == .stalled, "of the 1,500 handed over by the last check, 200 went out")
        watch.start(written: 10)
        #expect(watch.check(queued: 0, written: 20) == .drained)
        #expect(!watch.isWatching)
    }
}

@Suite struct DirectWriteProbeTests {
    final class Passing: ChannelOutboundHandler {
        typealias OutboundIn = ByteBuffer
    }

    final class Holding: ChannelOutboundHandler {
        typealias OutboundIn = ByteBuffer
        var held: [ByteBuffer] = []
        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) { held.append(unwrapOutboundIn(data)) }
    }

    final class Viewer: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        var bare: Bool?
        func handlerAdded(context: ChannelHandlerContext) { bare = DirectWriteProbe.pipelineIsBare(below: context) }
    }

    private func probe(after handlers: [any ChannelHandler]) throws -> (bare: Bool?, channel: EmbeddedChannel) {
        let channel = EmbeddedChannel()
        for handler in handlers { try channel.pipeline.syncOperations.addHandler(handler) }
        let viewer = Viewer()
        try channel.pipeline.syncOperations.addHandler(viewer)
        return (viewer.bare, channel)
    }

    @Test func aBarePipelineOrOneThatPassesWritesOnAllowsDirectWrites() throws {
        let (bare, channel) = try probe(after: [])
        #expect(bare == true)
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil, "the probe's write never reaches the wire")
        #expect(try probe(after: [Passing()]).bare == true)
    }

    @Test func aHandlerThatHoldsOrTransformsWritesRefusesThem() throws {
        let holding = Holding()
        #expect(try probe(after: [holding]).bare == false)
        #expect(holding.held.allSatisfy { $0.readableBytes == 0 }, "what it held is empty: nothing extra on the wire")
    }
}
