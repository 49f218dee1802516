/// The head of a publish request plain enough to be answered from the connection's bytes.
///
/// Plain means a subset of what NIO's HTTP/1 parser (llhttp) takes as one request, so reading it
/// here never takes a request that parser would refuse or read otherwise:
/// `POST /<path and query> HTTP/1.1`, every line ending in CRLF, header names of RFC 9110 token
/// characters right before their colon, values of visible ASCII, spaces and tabs, exactly one
/// `Content-Length` of at most 64 KiB, no `Transfer-Encoding`, `Expect` or `Upgrade`, and a
/// `Connection` of `close` or `keep-alive` alone (these two without a tab), within a 16 KiB head.
/// Anything else is ``Parse/other``, for the full HTTP pipeline to read and answer.
public struct PlainPublishHead: Equatable, Sendable {
    /// The request target, as sent.
    public var target: String
    /// The `Authorization` value, without surrounding whitespace.
    public var authorization: String?
    /// The request asked for `Connection: close`.
    public var closesConnection = false
    /// The head's length, its blank line included: where the body starts.
    public var headBytes = 0
    /// The `Content-Length`.
    public var bodyBytes = 0

    public enum Parse: Equatable, Sendable {
        case head(PlainPublishHead)
        /// Not a plain publish, or not all of its head has arrived.
        case other
    }

    /// The longest head read here; a longer one is the pipeline's to refuse (`431`).
    public static let maxHeadBytes = 16 * 1024

    /// Reads the head at the start of `bytes`.
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> Parse {
        var reader = Reader(bytes: bytes)
        return reader.head().map(Parse.head) ?? .other
    }

    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var index = 0
        let end: Int

        init(bytes: UnsafeRawBufferPointer) {
            self.bytes = bytes
            self.end = min(bytes.count, PlainPublishHead.maxHeadBytes)
        }

        mutating func head() -> PlainPublishHead? {
            guard take("POST "), bytes.count > index, bytes[index] == UInt8(ascii: "/"), let target = run(while: Self.isTargetByte),
                take(" HTTP/1.1\r\n")
            else { return nil }
            var head = PlainPublishHead(target: String(decoding: target, as: UTF8.self))
            var contentLength: Int?
            while !take("\r\n") {
                guard let name = run(while: Self.isTokenByte), take(":") else { return nil }
                let fieldStart = index
                _ = run(while: Self.isSpace)
                let value = Self.trimmed(run(while: Self.isValueByte) ?? bytes[index..<index])
                let field = bytes[fieldStart..<index]
                guard take("\r\n") else { return nil }
                // llhttp reads the next two values itself and takes spaces around them, not tabs.
                if Self.matches(name, "content-length") {
                    guard contentLength == nil, !field.contains(Self.tab), !value.isEmpty, value.count <= 5, value.allSatisfy(Self.isDigit) else {
                        return nil
                    }
                    contentLength = value.reduce(0) { $0 * 10 + Int($1 &- UInt8(ascii: "0")) }
                } else if Self.matches(name, "transfer-encoding") || Self.matches(name, "expect") || Self.matches(name, "upgrade") {
                    return nil
                } else if Self.matches(name, "connection") {
                    guard !field.contains(Self.tab) else { return nil }
                    if Self.matches(value, "close") {
                        head.closesConnection = true
                    } else if !Self.matches(value, "keep-alive") {
                        return nil
                    }
                } else if Self.matches(name, "authorization") {
                    guard head.authorization == nil else { return nil }
                    head.authorization = String(decoding: value, as: UTF8.self)
                }
            }
            guard let contentLength, contentLength <= PublishRequest.maxBodyBytes else { return nil }
            head.headBytes = index
            head.bodyBytes = contentLength
            return head
        }

        /// Takes `literal` if the bytes at the index are it.
        private mutating func take(_ literal: StaticString) -> Bool {
            let count = literal.utf8CodeUnitCount
            guard end - index >= count else { return false }
            for offset in 0..<count where bytes[index + offset] != literal.utf8Start[offset] { return false }
            index += count
            return true
        }

        /// Takes the bytes that satisfy `predicate`, at least one; `nil` if there is none or the head's bound is reached.
        private mutating func run(while predicate: (UInt8) -> Bool) -> Slice<UnsafeRawBufferPointer>? {
            let start = index
            while index < end, predicate(bytes[index]) { index += 1 }
            guard index > start, index < end else { return nil }
            return bytes[start..<index]
        }

        private static func trimmed(_ value: Slice<UnsafeRawBufferPointer>) -> Slice<UnsafeRawBufferPointer> {
            var value = value
            while let last = value.last, isSpace(last) { value = value.dropLast() }
            return value
        }

        /// Whether `bytes` are `lowercase`, ignoring ASCII case.
        private static func matches(_ bytes: Slice<UnsafeRawBufferPointer>, _ lowercase: StaticString) -> Bool {
            guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
            return bytes.elementsEqual(UnsafeBufferPointer(start: lowercase.utf8Start, count: bytes.count)) { $0.asciiLowercased == $1 }
        }

        private static let tab = UInt8(ascii: "\t")
        private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        private static func isSpace(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == tab }
        /// RFC 3986's path and query characters (`pchar`, `/`, `?`), `%` included.
        private static let targetBytes = ASCIISet("-._~!$&'()*+,;=:@/?%", alphanumerics: true)
        private static func isTargetByte(_ byte: UInt8) -> Bool { targetBytes.contains(byte) }
        /// Visible ASCII, spaces and tabs.
        private static func isValueByte(_ byte: UInt8) -> Bool { (byte > 0x20 && byte < 0x7F) || isSpace(byte) }
        /// RFC 9110's `tchar`.
        private static let tokenBytes = ASCIISet("!#$%&'*+-.^_`|~", alphanumerics: true)
        private static func isTokenByte(_ byte: UInt8) -> Bool { tokenBytes.contains(byte) }
    }
}
