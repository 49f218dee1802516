import NIOCore

/// Decodes RESP2 values from a byte stream, as untrusted input.
///
/// It consumes each element (a scalar, or an array's header) once it is whole and keeps the arrays
/// it is filling, so a value split across reads is never parsed twice, and it allocates for the
/// elements that arrived, never for the counts a header declares.
public struct RESPDecoder: ByteToMessageDecoder {
    public typealias InboundOut = RESPValue

    /// Largest bulk string accepted, in bytes.
    public static let maxBulkBytes = 64 << 20
    /// Most elements of one array.
    public static let maxArrayCount = 1 << 20
    /// Deepest nesting of arrays accepted.
    public static let maxDepth = 32
    /// Longest line (simple string, error, integer or length) accepted, in bytes.
    public static let maxLineBytes = 64 * 1024

    /// The arrays being filled, outermost first: elements still to come and those read.
    private var open: [(remaining: Int, values: [RESPValue])] = []

    public init() {}

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let value = try next(&buffer) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(value))
        return .continue
    }

    /// The next whole value, consuming its bytes; `nil` when more are needed (what was read of an
    /// unfinished value is consumed and kept).
    public mutating func next(_ buffer: inout ByteBuffer) throws(RedisError) -> RESPValue? {
        while let element = try Self.element(&buffer) {
            var value: RESPValue
            switch element {
            case .value(let complete):
                value = complete
            case .array(let count):
                guard open.count < Self.maxDepth else { throw .protocolViolation("arrays nested deeper than \(Self.maxDepth)") }
                open.append((count, []))
                continue
            }
            while let last = open.indices.last {
                open[last].values.append(value)
                open[last].remaining -= 1
                guard open[last].remaining == 0 else { break }
                value = .array(open.removeLast().values)
            }
            if open.isEmpty { return value }
        }
        return nil
    }

    private enum Element {
        case value(RESPValue)
        /// The header of an array with this many elements (at least one) to follow.
        case array(Int)
    }

    /// Takes one whole element off the front of `buffer`, or leaves `buffer` as it was and returns `nil`.
    private static func element(_ buffer: inout ByteBuffer) throws(RedisError) -> Element? {
        var cursor = buffer
        guard let type = cursor.readInteger(as: UInt8.self), let line = try readLine(&cursor) else { return nil }
        let element: Element
        switch type {
        case UInt8(ascii: "+"):
            element = .value(.simpleString(line))
        case UInt8(ascii: "-"):
            element = .value(.error(line))
        case UInt8(ascii: ":"):
            guard let value = Int64(line) else { throw .protocolViolation("integer '\(line.prefix(32))'") }
            element = .value(.integer(value))
        case UInt8(ascii: "$"):
            guard let length = Int(line), length >= -1, length <= maxBulkBytes else {
                throw .protocolViolation("bulk length '\(line.prefix(32))'")
            }
            if length == -1 {
                element = .value(.bulkString(nil))
            } else {
                guard cursor.readableBytes >= length + 2, let bytes = cursor.readBytes(length: length) else { return nil }
                guard cursor.readInteger(as: UInt16.self) == 0x0D0A else { throw .protocolViolation("bulk string without CRLF") }
                element = .value(.bulkString(bytes))
            }
        case UInt8(ascii: "*"):
            guard let count = Int(line), count >= -1, count <= maxArrayCount else {
                throw .protocolViolation("array length '\(line.prefix(32))'")
            }
            element = count == -1 ? .value(.array(nil)) : count == 0 ? .value(.array([])) : .array(count)
        default:
            throw .protocolViolation("type byte \(type)")
        }
        buffer = cursor
        return element
    }

    /// The text up to CRLF, consuming it; `nil` without a whole line.
    private static func readLine(_ buffer: inout ByteBuffer) throws(RedisError) -> String? {
        let view = buffer.readableBytesView
        guard let carriageReturn = view.prefix(maxLineBytes + 1).firstIndex(of: 0x0D) else {
            guard view.count <= maxLineBytes else { throw .protocolViolation("line longer than \(maxLineBytes) bytes") }
            return nil
        }
        guard view.index(after: carriageReturn) < view.endIndex else { return nil }
        guard view[view.index(after: carriageReturn)] == 0x0A else { throw .protocolViolation("CR without LF") }
        let line = buffer.readString(length: carriageReturn - view.startIndex)
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
