/// The fields of an `application/x-www-form-urlencoded` body or query string, decoded; where a name
/// repeats, its first value counts.
///
/// nginx-rtmp appends the broadcaster's own query string after its fields, so a broadcaster can send
/// fields named like the module's: taking the first keeps the module's.
public struct FormFields: Sendable {
    private var values: [String: String] = [:]

    /// Splits at `&` and, when `questionMarkSeparates`, at `?` too (nginx-rtmp's `notify_method get`
    /// appends `?fields` to a URL that may already hold a query).
    public init(_ encoded: some Collection<UInt8>, questionMarkSeparates: Bool = false) {
        var field: [UInt8] = []
        for byte in encoded {
            if byte == UInt8(ascii: "&") || (questionMarkSeparates && byte == UInt8(ascii: "?")) {
                add(field)
                field.removeAll(keepingCapacity: true)
            } else {
                field.append(byte)
            }
        }
        add(field)
    }

    public subscript(name: String) -> String? { values[name] }

    private mutating func add(_ field: [UInt8]) {
        guard !field.isEmpty else { return }
        let equals = field.firstIndex(of: UInt8(ascii: "=")) ?? field.endIndex
        let name = Self.decode(field[..<equals])
        guard values[name] == nil else { return }
        values[name] = Self.decode(field[equals...].dropFirst())
    }

    /// `+` is a space and `%XX` a byte; a `%` not followed by two hex digits stays as it is.
    static func decode(_ encoded: ArraySlice<UInt8>) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(encoded.count)
        var index = encoded.startIndex
        while index < encoded.endIndex {
            let byte = encoded[index]
            if byte == UInt8(ascii: "%"), encoded.distance(from: index, to: encoded.endIndex) >= 3,
                let high = hexValue(encoded[index + 1]), let low = hexValue(encoded[index + 2])
            {
                bytes.append(high << 4 | low)
                index += 3
                continue
            }
            bytes.append(byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
            index += 1
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
