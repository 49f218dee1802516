import NIOCore

/// Decodes RESP2 values from a byte stream; a value split across reads waits for the rest.
public struct RESPDecoder: ByteToMessageDecoder {
    public typealias InboundOut = RESPValue

    /// Largest bulk string accepted, in bytes.
    public static let maxBulkBytes = 64 << 20
    /// Deepest nesting of arrays accepted.
    public static let maxDepth = 32

    public init() {}

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let value = try Self.parse(&buffer) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(value))
        return .continue
    }

    /// Takes one whole value off the front of `buffer`, or leaves `buffer` as it was and returns `nil`.
    public static func parse(_ buffer: inout ByteBuffer) throws(RedisError) -> RESPValue? {
        var cursor = buffer
        guard let value = try parseValue(&cursor, depth: 0) else { return nil }
        buffer = cursor
        return value
    }

    private static func parseValue(_ buffer: inout ByteBuffer, depth: Int) throws(RedisError) -> RESPValue? {
        guard depth <= maxDepth else { throw .protocolViolation("arrays nested deeper than \(maxDepth)") }
        guard let type = buffer.readInteger(as: UInt8.self) else { return nil }
        guard let line = readLine(&buffer) else { return nil }
        switch type {
        case UInt8(ascii: "+"):
            return .simpleString(line)
        case UInt8(ascii: "-"):
            return .error(line)
        case UInt8(ascii: ":"):
            guard let value = Int64(line) else { throw .protocolViolation("integer '\(line.prefix(32))'") }
            return .integer(value)
        case UInt8(ascii: "$"):
            guard let length = Int(line), length >= -1, length <= maxBulkBytes else {
                throw .protocolViolation("bulk length '\(line.prefix(32))'")
            }
            if length == -1 { return .bulkString(nil) }
            guard buffer.readableBytes >= length + 2, let bytes = buffer.readBytes(length: length) else { return nil }
            guard buffer.readInteger(as: UInt16.self) == 0x0D0A else { throw .protocolViolation("bulk string without CRLF") }
            return .bulkString(bytes)
        case UInt8(ascii: "*"):
            guard let count = Int(line), count >= -1, count <= 1 << 20 else {
                throw .protocolViolation("array length '\(line.prefix(32))'")
            }
            if count == -1 { return .array(nil) }
            var values: [RESPValue] = []
            values.reserveCapacity(count)
            for _ in 0..<count {
                guard let value = try parseValue(&buffer, depth: depth + 1) else { return nil }
                values.append(value)
            }
            return .array(values)
        default:
            throw .protocolViolation("type byte \(type)")
        }
    }

    /// The text up to CRLF, consuming it; `nil` without a whole line.
    private static func readLine(_ buffer: inout ByteBuffer) -> String? {
        let view = buffer.readableBytesView
        guard let carriageReturn = view.firstIndex(of: 0x0D), view.index(after: carriageReturn) < view.endIndex,
            view[view.index(after: carriageReturn)] == 0x0A
        else { return nil }
        let length = carriageReturn - view.startIndex
        let line = buffer.readString(length: length)
        buffer.moveReaderIndex(forwardBy: 2)
        return line
    }
}

/// Encodes commands as RESP arrays of bulk strings.
public struct RESPEncoder: MessageToByteEncoder {
    public typealias OutboundIn = RedisCommand

    public init() {}

    public func encode(data command: RedisCommand, out: inout ByteBuffer) {
        Self.write(command, to: &out)
    }

    public static func write(_ command: RedisCommand, to out: inout ByteBuffer) {
        out.writeString("*\(command.arguments.count)\r\n")
        for argument in command.arguments {
            out.writeString("$\(argument.count)\r\n")
            out.writeBytes(argument)
            out.writeString("\r\n")
        }
    }
}
