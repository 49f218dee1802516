import NIOCore
import NIOWebSocket

/// Reads client WebSocket frames (RFC 6455 §5.2) from a viewer's bytes, inside its handler.
///
/// It stands in for NIO's `ByteToMessageHandler<WebSocketFrameDecoder>`, which cost every idle
/// viewer a handler, a pipeline context and a cumulation buffer. Control frames (at most 125 bytes)
/// come out whole; a data frame comes out as its header, then its payload, unmasked, in the pieces
/// the socket delivered, so that its text can be checked as it arrives and nothing of it is kept.
/// A frame longer than `maxFrameSize` or a malformed control frame is refused before its payload is read.
struct ViewerFrameReader {
    enum Failure: Error, Equatable {
        /// A frame declares more than the limit.
        case tooBig
        /// A control frame that is fragmented or longer than 125 bytes, or an unknown opcode.
        case protocolError
    }

    /// What a data frame's header says.
    struct DataHeader: Equatable {
        let opcode: WebSocketOpcode
        let fin: Bool
        /// RSV1–RSV3, which no extension negotiated here may set.
        let reservedBits: UInt8
        let masked: Bool
        let length: Int
    }

    enum Piece: Equatable {
        /// A whole ping, pong or close frame.
        case control(WebSocketFrame)
        /// A data frame begins; its payload follows in ``payload(_:frameEnds:)`` pieces.
        case dataHeader(DataHeader)
        /// Payload bytes of the current data frame, unmasked; `frameEnds` with its last byte
        /// (a frame with an empty payload has one such piece, empty).
        case payload(ByteBuffer, frameEnds: Bool)
    }

    let maxFrameSize: Int
    private var pending: ByteBuffer?
    /// Within a data frame's payload: what is left of it and where its mask stands.
    private var payload: (remaining: Int, mask: WebSocketMaskingKey?, offset: Int)?

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

    /// The next piece, `nil` until more bytes arrive.
    mutating func next() throws(Failure) -> Piece? {
        guard var buffer = pending else {
            // An empty payload needs no bytes.
            guard let current = payload, current.remaining == 0 else { return nil }
            payload = nil
            return .payload(ByteBuffer(), frameEnds: true)
        }
        defer { pending = buffer.readableBytes > 0 ? buffer : nil }
        if let current = payload {
            let count = min(current.remaining, buffer.readableBytes)
            guard count > 0 || current.remaining == 0 else { return nil }
            var bytes = buffer.readSlice(length: count)!
            if let mask = current.mask { bytes.webSocketUnmask(mask, indexOffset: current.offset) }
            let remaining = current.remaining - count
            payload = remaining == 0 ? nil : (remaining, current.mask, current.offset + count)
            return .payload(bytes, frameEnds: remaining == 0)
        }
        return try header(from: &buffer)
    }

    private mutating func header(from buffer: inout ByteBuffer) throws(Failure) -> Piece? {
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
        var mask: WebSocketMaskingKey?
        if second & 0x80 != 0 {
            guard let key = view.readBytes(length: 4) else { return nil }
            mask = WebSocketMaskingKey(key)
        }
        if opcode.isControlOpcode {
            guard let data = view.readSlice(length: length) else { return nil }
            buffer = view
            return .control(
                WebSocketFrame(
                    fin: fin, rsv1: first & 0x40 != 0, rsv2: first & 0x20 != 0, rsv3: first & 0x10 != 0, opcode: opcode, maskKey: mask, data: data
                )
            )
        }
        buffer = view
        payload = (length, mask, 0)
        return .dataHeader(DataHeader(opcode: opcode, fin: fin, reservedBits: (first >> 4) & 0x7, masked: mask != nil, length: length))
    }
}
