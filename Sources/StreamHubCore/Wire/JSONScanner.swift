/// A validating JSON (RFC 8259) reader that keeps values as their source bytes.
///
/// The hub forwards publisher fields unchanged, so values are never decoded into numbers or
/// dictionaries that could alter them on the way out; only keys and the few strings the hub
/// needs are decoded. Nesting deeper than ``maxDepth`` is rejected rather than recursed into.
public struct JSONScanner {
    /// Deepest nesting of arrays and objects accepted.
    public static let maxDepth = 64

    private let bytes: ArraySlice<UInt8>
    private var index: Int

    private init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.index = bytes.startIndex
    }

    /// Validates a whole document and returns the bytes of its single top-level value, whitespace trimmed.
    public static func value(in document: ArraySlice<UInt8>) throws(JSONSyntaxError) -> ArraySlice<UInt8> {
        try scan(document, collectingMembers: false).value
    }

    /// Validates a whole document and returns the members of its top-level value, in source order,
    /// read in the same pass; `nil` when that value is not an object.
    public static func object(in document: ArraySlice<UInt8>) throws(JSONSyntaxError) -> [JSONMember]? {
        try scan(document, collectingMembers: true).members
    }

    private static func scan(
        _ document: ArraySlice<UInt8>, collectingMembers: Bool
    ) throws(JSONSyntaxError) -> (value: ArraySlice<UInt8>, members: [JSONMember]?) {
        var scanner = JSONScanner(document)
        scanner.skipWhitespace()
        let start = scanner.index
        var members: [JSONMember]?
        if collectingMembers, scanner.peek() == UInt8(ascii: "{") {
            members = try scanner.readMembers()
        } else {
            try scanner.skipValue(depth: 0)
        }
        let end = scanner.index
        scanner.skipWhitespace()
        guard scanner.index == document.endIndex else { throw scanner.error("unexpected data after the top-level value") }
        return (document[start..<end], members)
    }

    /// The members of an already validated object, in source order; `nil` when `value` is not an object.
    public static func members(ofObject value: ArraySlice<UInt8>) -> [JSONMember]? {
        guard value.first == UInt8(ascii: "{") else { return nil }
        var scanner = JSONScanner(value)
        return try? scanner.readMembers()
    }

    /// The elements of an already validated array, in order; `nil` when `value` is not an array.
    public static func elements(ofArray value: ArraySlice<UInt8>) -> [ArraySlice<UInt8>]? {
        guard value.first == UInt8(ascii: "[") else { return nil }
        var scanner = JSONScanner(value)
        var elements: [ArraySlice<UInt8>] = []
        guard (try? scanner.scanArray(depth: 0) { elements.append($0) }) != nil else { return nil }
        return elements
    }

    /// The decoded text of an already validated string value; `nil` when `value` is not a string.
    public static func string(_ value: ArraySlice<UInt8>) -> String? {
        guard value.first == UInt8(ascii: "\"") else { return nil }
        var scanner = JSONScanner(value)
        return try? scanner.readString()
    }

    /// The value of an already validated integer that fits in `Int64`; `nil` for anything else (fractions, exponents, strings).
    public static func integer(_ value: ArraySlice<UInt8>) -> Int64? {
        Int64(String(decoding: value, as: UTF8.self))
    }

    private mutating func readMembers() throws(JSONSyntaxError) -> [JSONMember] {
        var members: [JSONMember] = []
        try scanObject(depth: 0) { key, value in members.append(JSONMember(key: key, value: value)) }
        return members
    }

    /// Reads an object from its `{`, handing each member to `member`.
    private mutating func scanObject(
        depth: Int,
        member: (String, ArraySlice<UInt8>) -> Void = { _, _ in }
    ) throws(JSONSyntaxError) {
        try expect(UInt8(ascii: "{"))
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
            return
        }
        while true {
            skipWhitespace()
            let key = try readString()
            skipWhitespace()
            try expect(UInt8(ascii: ":"))
            skipWhitespace()
            let start = index
            try skipValue(depth: depth + 1)
            member(key, bytes[start..<index])
            skipWhitespace()
            let separator = try next()
            if separator == UInt8(ascii: "}") { return }
            guard separator == UInt8(ascii: ",") else { throw error("expected ',' or '}' in object", back: 1) }
        }
    }

    private mutating func skipValue(depth: Int) throws(JSONSyntaxError) {
        guard depth <= Self.maxDepth else { throw error("nesting deeper than \(Self.maxDepth) levels") }
        guard let byte = peek() else { throw error("unexpected end of input") }
        switch byte {
        case UInt8(ascii: "{"):
            try scanObject(depth: depth)
        case UInt8(ascii: "["):
            try scanArray(depth: depth)
        case UInt8(ascii: "\""):
            try skipString()
        case UInt8(ascii: "t"): try expectLiteral("true")
        case UInt8(ascii: "f"): try expectLiteral("false")
        case UInt8(ascii: "n"): try expectLiteral("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            try skipNumber()
        default:
            throw error("unexpected character '\(Unicode.Scalar(byte))'")
        }
    }

    /// Reads an array from its `[`, handing each element to `element`.
    private mutating func scanArray(depth: Int, element: (ArraySlice<UInt8>) -> Void = { _ in }) throws(JSONSyntaxError) {
        try expect(UInt8(ascii: "["))
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            index += 1
            return
        }
        while true {
            skipWhitespace()
            let start = index
            try skipValue(depth: depth + 1)
            element(bytes[start..<index])
            skipWhitespace()
            let separator = try next()
            if separator == UInt8(ascii: "]") { return }
            guard separator == UInt8(ascii: ",") else { throw error("expected ',' or ']' in array", back: 1) }
        }
    }

    private mutating func skipNumber() throws(JSONSyntaxError) {
        if peek() == UInt8(ascii: "-") { index += 1 }
        guard let first = peek(), isDigit(first) else { throw error("expected a digit") }
        index += 1
        if first != UInt8(ascii: "0") { skipDigits() }
        if peek() == UInt8(ascii: ".") {
            index += 1
            guard let digit = peek(), isDigit(digit) else { throw error("expected a digit after '.'") }
            skipDigits()
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            index += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { index += 1 }
            guard let digit = peek(), isDigit(digit) else { throw error("expected a digit in the exponent") }
            skipDigits()
        }
    }

    /// Passes over a string, validating it as ``readString()`` does, without decoding a plain one.
    private mutating func skipString() throws(JSONSyntaxError) {
        let start = index
        index += 1
        skipPlainASCII()
        if peek() == UInt8(ascii: "\"") {
            index += 1
        } else {
            index = start
            _ = try readString()
        }
    }

    /// Reads a string, validating escapes, and returns its decoded text.
    private mutating func readString() throws(JSONSyntaxError) -> String {
        try expect(UInt8(ascii: "\""))
        // Most strings are plain ASCII without escapes: their bytes are their text.
        let start = index
        skipPlainASCII()
        if peek() == UInt8(ascii: "\"") {
            index += 1
            return String(decoding: bytes[start..<index - 1], as: UTF8.self)
        }
        var decoded = Array(bytes[start..<index])
        while true {
            guard let byte = peek() else { throw error("unterminated string") }
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: decoded, as: UTF8.self) else {
                    throw error("string is not valid UTF-8")
                }
                return text
            case UInt8(ascii: "\\"):
                try readEscape(into: &decoded)
            case 0..<0x20:
                throw error("unescaped control character in string", back: 1)
            default:
                decoded.append(byte)
            }
        }
    }

    /// Moves past string bytes that stand for themselves: printable ASCII other than `"` and `\\`.
    private mutating func skipPlainASCII() {
        while let byte = peek(), byte >= 0x20, byte < 0x80, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") { index += 1 }
    }

    private mutating func readEscape(into decoded: inout [UInt8]) throws(JSONSyntaxError) {
        let escape = try next()
        switch escape {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): decoded.append(escape)
        case UInt8(ascii: "b"): decoded.append(0x08)
        case UInt8(ascii: "f"): decoded.append(0x0C)
        case UInt8(ascii: "n"): decoded.append(0x0A)
        case UInt8(ascii: "r"): decoded.append(0x0D)
        case UInt8(ascii: "t"): decoded.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try readHex4()
            if (0xD800..<0xDC00).contains(scalar) {
                guard try next() == UInt8(ascii: "\\"), try next() == UInt8(ascii: "u") else {
                    throw error("unpaired surrogate in \\u escape")
                }
                let low = try readHex4()
                guard (0xDC00..<0xE000).contains(low) else { throw error("unpaired surrogate in \\u escape") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            }
            guard let unicode = Unicode.Scalar(scalar) else { throw error("unpaired surrogate in \\u escape") }
            decoded.append(contentsOf: String(Character(unicode)).utf8)
        default:
            throw error("invalid escape '\\\(Unicode.Scalar(escape))'", back: 1)
        }
    }

    private mutating func readHex4() throws(JSONSyntaxError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = try next()
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw error("expected 4 hex digits in \\u escape", back: 1)
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONSyntaxError) {
        let start = index
        for byte in UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount) {
            guard peek() == byte else {
                index = start
                throw error("unexpected character '\(Unicode.Scalar(bytes[start]))'")
            }
            index += 1
        }
    }

    private mutating func expect(_ byte: UInt8) throws(JSONSyntaxError) {
        guard peek() == byte else {
            throw error(peek() == nil ? "unexpected end of input" : "expected '\(Unicode.Scalar(byte))'")
        }
        index += 1
    }

    private mutating func next() throws(JSONSyntaxError) -> UInt8 {
        guard let byte = peek() else { throw error("unexpected end of input") }
        index += 1
        return byte
    }

    private func peek() -> UInt8? { index < bytes.endIndex ? bytes[index] : nil }

    private func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

    private mutating func skipDigits() {
        while let byte = peek(), isDigit(byte) { index += 1 }
    }

    private mutating func skipWhitespace() {
        while let byte = peek(), byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
    }

    private func error(_ problem: String, back: Int = 0) -> JSONSyntaxError {
        JSONSyntaxError(offset: index - back - bytes.startIndex, problem: problem)
    }
}
