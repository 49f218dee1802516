import NIOCore

/// Builds unmasked server-to-client WebSocket frames, header and payload in one buffer.
///
/// Frames are written below any frame encoder, so one buffer built here is shared by every viewer
/// of a broadcast without being copied or re-framed.
enum ServerFrame {
    enum Opcode: UInt8 {
        case text = 0x1
        case close = 0x8
        case ping = 0x9
        case pong = 0xA
    }

    static func make(_ opcode: Opcode, payload: some Collection<UInt8>, allocator: ByteBufferAllocator) -> ByteBuffer {
        let length = payload.count
        var buffer = allocator.buffer(capacity: length + 10)
        buffer.writeInteger(0x80 | opcode.rawValue)
        switch length {
        case 0...125:
            buffer.writeInteger(UInt8(length))
        case 126...0xFFFF:
            buffer.writeInteger(UInt8(126))
            buffer.writeInteger(UInt16(length))
        default:
            buffer.writeInteger(UInt8(127))
            buffer.writeInteger(UInt64(length))
        }
        buffer.writeBytes(payload)
        return buffer
    }

    /// A ping whose payload is `payload` in network byte order.
    static func ping(_ payload: UInt64, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 10)
        buffer.writeInteger(0x80 | Opcode.ping.rawValue)
        buffer.writeInteger(UInt8(MemoryLayout<UInt64>.size))
        buffer.writeInteger(payload)
        return buffer
    }

    static func close(_ reason: CloseReason, allocator: ByteBufferAllocator) -> ByteBuffer {
        var payload: [UInt8] = [UInt8(reason.code >> 8), UInt8(reason.code & 0xFF)]
        payload.append(contentsOf: reason.text.utf8)
        return make(.close, payload: payload, allocator: allocator)
    }
}
