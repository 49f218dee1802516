/// A RESP2 value, as Redis sends it.
public enum RESPValue: Sendable, Equatable {
    case simpleString(String)
    case error(String)
    case integer(Int64)
    /// `nil` is RESP's null bulk string.
    case bulkString([UInt8]?)
    /// `nil` is RESP's null array.
    case array([RESPValue]?)

    /// The text of a simple or bulk string.
    public var string: String? {
        switch self {
        case .simpleString(let text): text
        case .bulkString(let bytes?): String(decoding: bytes, as: UTF8.self)
        default: nil
        }
    }

    public var integer: Int64? {
        if case .integer(let value) = self { return value }
        return nil
    }

    public var bytes: [UInt8]? {
        switch self {
        case .bulkString(let bytes): bytes
        case .simpleString(let text): Array(text.utf8)
        default: nil
        }
    }

    public var array: [RESPValue]? {
        if case .array(let values) = self { return values }
        return nil
    }
}

/// A command: its name and arguments, each sent as a bulk string.
public struct RedisCommand: Sendable, Equatable, CustomStringConvertible {
    public let arguments: [[UInt8]]

    public init(_ name: String, _ arguments: [String] = []) {
        self.arguments = ([name] + arguments).map { Array($0.utf8) }
    }

    public init(_ name: String, bytes arguments: [[UInt8]]) {
        self.arguments = [Array(name.utf8)] + arguments
    }

    /// The command name and argument count only: arguments may hold secrets (AUTH).
    public var description: String {
        "\(String(decoding: arguments.first ?? [], as: UTF8.self)) (\(arguments.count - 1) arguments)"
    }
}

/// What can go wrong talking to Redis.
public enum RedisError: Error, Equatable, CustomStringConvertible {
    /// Redis answered with an error reply, such as `WRONGPASS ...`.
    case server(String)
    /// No reply within the timeout; the connection was closed, since later replies would be misaligned.
    case timeout
    case connectionClosed
    /// The bytes from the server are not RESP.
    case protocolViolation(String)

    public var description: String {
        switch self {
        case .server(let message): "Redis error: \(message)"
        case .timeout: "Redis did not answer in time"
        case .connectionClosed: "the connection to Redis closed"
        case .protocolViolation(let problem): "Redis sent something that is not RESP: \(problem)"
        }
    }
}
