/// A stream's identifier: 1–128 characters of `[A-Za-z0-9._:-]`, so UUIDs fit and no character needs escaping in JSON.
public struct StreamID: Hashable, Sendable, CustomStringConvertible {
    /// Longest accepted identifier, in characters.
    public static let maxLength = 128

    public let rawValue: String

    /// Returns `nil` unless `rawValue` is 1–128 characters of `[A-Za-z0-9._:-]`.
    public init?(_ rawValue: Substring) {
        let utf8 = rawValue.utf8
        guard (1...Self.maxLength).contains(utf8.count), utf8.allSatisfy(Self.isAllowed) else { return nil }
        self.rawValue = String(rawValue)
    }

    /// Returns `nil` unless `rawValue` is 1–128 characters of `[A-Za-z0-9._:-]`.
    public init?(_ rawValue: String) {
        self.init(rawValue[...])
    }

    public var description: String { rawValue }

    private static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: ":"), UInt8(ascii: "-"):
            true
        default:
            false
        }
    }
}

extension StreamID {
    /// The explanation returned with `400` for an identifier that fails validation.
    public static let validationMessage =
        "stream_id must be 1-128 characters of A-Z, a-z, 0-9, '.', '_', ':' or '-'"
}
