import NIOCore
import NIOPosix
import Synchronization

/// What the viewers on one event loop received; only that loop touches it until the run ends.
final class LoopRecord: @unchecked Sendable {
    /// `(event sequence number, monotonic receive time in ns)` of every delivery.
    var receipts: [(seq: Int, at: UInt64)] = []
    var viewers: [BenchViewer] = []

    init() { receipts.reserveCapacity(1 << 16) }
}

/// One viewer: a WebSocket client written straight on NIO, which records the `seq` of each message
/// and counts `viewer_count_changed`, with as little work per frame as the measurement allows.
final class BenchViewer: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let stream: Int
    private(set) var countMessages = 0
    private(set) var deliveries = 0
    private(set) var closed = false
    /// Monotonic ns of the upgrade request and of the latest delivery.
    private(set) var requestedAt: UInt64 = 0
    private(set) var lastDeliveryAt: UInt64 = 0
    /// What `stream_state` said of a resume (`recovered`), `nil` without the field.
    private(set) var recovered: Bool?
    private let record: LoopRecord
    private let totals: BenchTotals
    private let upgraded: EventLoopPromise<Void>
    /// The upgrade request, sent as soon as the connection is up.
    private let request: ByteBuffer
    private var handshakeDone = false
    private var buffer: ByteBuffer?

    init(stream: Int, request: ByteBuffer, record: LoopRecord, totals: BenchTotals, upgraded: EventLoopPromise<Void>) {
        self.stream = stream
        self.request = request
        self.record = record
        self.totals = totals
        self.upgraded = upgraded
    }

    func channelActive(context: ChannelHandlerContext) {
        requestedAt = MonotonicClock.nanoseconds()
        context.writeAndFlush(wrapOutboundOut(request), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if buffer == nil { buffer = incoming } else { buffer!.writeBuffer(&incoming) }
        if !handshakeDone {
            guard let view = buffer?.readableBytesView, let end = view.firstRange(of: Self.headerEnd) else { return }
            let head = String(decoding: view[view.startIndex..<end.lowerBound], as: UTF8.self)
            guard head.hasPrefix("HTTP/1.1 101") else {
                upgraded.fail(BenchError("upgrade refused: \(head.prefix(while: { $0 != "\r" }))"))
                context.close(promise: nil)
                return
            }
            buffer!.moveReaderIndex(to: end.upperBound)
            handshakeDone = true
            record.viewers.append(self)
            upgraded.succeed()
        }
        readFrames(context: context)
        buffer?.discardReadBytes()
    }

    private func readFrames(context: ChannelHandlerContext) {
        while var frame = buffer, frame.readableBytes >= 2 {
            let first = frame.readInteger(as: UInt8.self)!
            var length = Int(frame.readInteger(as: UInt8.self)! & 0x7F)
            if length == 126 {
                guard let extended = frame.readInteger(as: UInt16.self) else { return }
                length = Int(extended)
            } else if length == 127 {
                guard let extended = frame.readInteger(as: UInt64.self) else { return }
                length = Int(extended)
            }
            guard frame.readableBytes >= length, let payload = frame.readSlice(length: length) else { return }
            buffer = frame
            switch first & 0x0F {
            case 0x1, 0x0: received(payload)
            case 0x9: reply(opcode: 0xA, payload, context: context)
            case 0x8:
                reply(opcode: 0x8, payload.getSlice(at: payload.readerIndex, length: min(2, payload.readableBytes))!, context: context)
                context.close(promise: nil)
            default: break
            }
        }
    }

    private func received(_ payload: ByteBuffer) {
        payload.withUnsafeReadableBytes { bytes in
            // `stream_state` may hold a `seq` in its `quality`; its event name comes first.
            if Self.contains(Self.stateEvent, in: UnsafeRawBufferPointer(rebasing: bytes.prefix(48))) {
                recovered = Self.contains(Self.recoveredTrue, in: bytes) ? true : Self.contains(Self.recoveredFalse, in: bytes) ? false : nil
            } else if let seq = Self.number(after: Self.seqKey, in: bytes) {
                deliveries += 1
                lastDeliveryAt = MonotonicClock.nanoseconds()
                record.receipts.append((seq, lastDeliveryAt))
                totals.deliveries.add(1, ordering: .relaxed)
            } else if Self.contains(Self.countEvent, in: bytes) {
                countMessages += 1
            }
        }
    }

    /// A masked client frame (mask key 0, so the payload goes as is).
    private func reply(opcode: UInt8, _ payload: ByteBuffer, context: ChannelHandlerContext) {
        var frame = context.channel.allocator.buffer(capacity: payload.readableBytes + 6)
        frame.writeInteger(0x80 | opcode)
        frame.writeInteger(0x80 | UInt8(min(payload.readableBytes, 125)))
        frame.writeInteger(UInt32(0))
        frame.writeImmutableBuffer(payload.getSlice(at: payload.readerIndex, length: min(payload.readableBytes, 125))!)
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        upgraded.fail(BenchError("connection closed before the upgrade"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    static let headerEnd = Array("\r\n\r\n".utf8)
    static let seqKey = Array("\"seq\":".utf8)
    static let countEvent = Array("viewer_count_changed".utf8)
    static let stateEvent = Array("\"event\":\"stream_state\"".utf8)
    static let recoveredTrue = Array("\"recovered\":true".utf8)
    static let recoveredFalse = Array("\"recovered\":false".utf8)

    var summary: ViewerSummary {
        ViewerSummary(
            stream: stream, deliveries: deliveries, countMessages: countMessages, closed: closed, recovered: recovered,
            replaySeconds: lastDeliveryAt > requestedAt ? Double(lastDeliveryAt - requestedAt) / 1e9 : nil)
    }

    static func contains(_ needle: [UInt8], in bytes: UnsafeRawBufferPointer) -> Bool {
        index(of: needle, in: bytes) != nil
    }

    static func index(of needle: [UInt8], in bytes: UnsafeRawBufferPointer) -> Int? {
        guard bytes.count >= needle.count else { return nil }
        var start = 0
        while start <= bytes.count - needle.count {
            if bytes[start] == needle[0] {
                var match = true
                for offset in 1..<needle.count where bytes[start + offset] != needle[offset] {
                    match = false
                    break
                }
                if match { return start }
            }
            start += 1
        }
        return nil
    }

    /// The unsigned integer right after `key`.
    static func number(after key: [UInt8], in bytes: UnsafeRawBufferPointer) -> Int? {
        guard var index = Self.index(of: key, in: bytes).map({ $0 + key.count }) else { return nil }
        while index < bytes.count, bytes[index] == UInt8(ascii: " ") { index += 1 }
        var value = 0
        var digits = 0
        while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
            value = value * 10 + Int(bytes[index] - UInt8(ascii: "0"))
            index += 1
            digits += 1
        }
        return digits > 0 ? value : nil
    }
}

/// What one viewer received, read once the run is over.
struct ViewerSummary: Sendable {
    let stream: Int
    let deliveries: Int
    let countMessages: Int
    let closed: Bool
    let recovered: Bool?
    /// From the upgrade request to its latest delivery: for a resume without live events, to the last replayed one.
    let replaySeconds: Double?
}

/// Counters shared by every loop.
final class BenchTotals: Sendable {
    let deliveries = Atomic<Int>(0)
}

/// Monotonic nanoseconds, the clock both the publisher and the viewers read.
enum MonotonicClock {
    static func nanoseconds() -> UInt64 { NIODeadline.now().uptimeNanoseconds }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
