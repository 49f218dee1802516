import NIOCore
import NIOWebSocket

/// Reads client WebSocket frames (RFC 6455 §5.2) from a viewer's bytes, inside its handler.
///
/// It stands in for NIO's `ByteToMessageHandler<WebSocketFrameDecoder>`, which cost every idle
/// viewer a handler, a pipeline context and a cumulation buffer. Only bytes of an unfinished frame
/// are kept; a frame longer than `maxFrameSize` or a malformed control frame is refused before its
/// payload is read.
struct ViewerFrameReader {
    enum Failure: Error, Equatable {
        /// A frame declares more than the limit.
        case tooBig
        /// A control frame that is fragmented or longer than 125 bytes.
        case protocolError
    }

    let maxFrameSize: Int
    private var pending: ByteBuffer?

    init(maxFrameSize: Int) {
        self.maxFrameSize = maxFrameSize
    }

    /// Adds bytes read from the socket.
    mutating func append(_ bytes: inout ByteBuffer) {
        if pending == nil {
            pending = bytes
        } else {
            pending!.writeBuffer(&bytes)
        }
    }

    /// The next whole frame, `nil` until one has arrived.
    mutating func next() throws(Failure) -> WebSocketFrame? {
        guard var buffer = pending, let frame = try Self.frame(from: &buffer, maxFrameSize: maxFrameSize) else { return nil }
        pending = buffer.readableBytes > 0 ? buffer : nil
        return frame
    }

    private static func frame(from buffer: inout ByteBuffer, maxFrameSize: Int) throws(Failure) -> WebSocketFrame? {
        var view = buffer
        guard let first = view.readInteger(as: UInt8.self), let second = view.readInteger(as: UInt8.self) else { return nil }
        guard let opcode = WebSocketOpcode(encodedWebSocketOpcode: first & 0x0F) else { throw .protocolError }
        var length = Int(second & 0x7F)
        if length == 126 {
            guard let extended = view.readInteger(as: UInt16.self) else { return nil }
            length = Int(extended)
        } else if length == 127 {
            guard let extended = view.readInteger(as: UInt64.self) else { return nil }
            guard extended <= UInt64(maxFrameSize) else { throw .tooBig }
            length = Int(extended)
        }
        let fin = first & 0x80 != 0
        if opcode.isControlOpcode, !fin || length > 125 { throw .protocolError }
        guard length <= maxFrameSize else { throw .tooBig }
        var maskKey: WebSocketMaskingKey?
        if second & 0x80 != 0 {
            guard let key = view.readBytes(length: 4) else { return nil }
            maskKey = WebSocketMaskingKey(key)
        }
        guard let payload = view.readSlice(length: length) else { return nil }
        buffer = view
        return WebSocketFrame(
            fin: fin, rsv1: first & 0x40 != 0, rsv2: first & 0x20 != 0, rsv3: first & 0x10 != 0,
            opcode: opcode, maskKey: maskKey, data: payload
        )
    }
}
