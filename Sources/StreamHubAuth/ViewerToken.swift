import ExtrasBase64
import StreamHubCore

/// A JSON Web Token in compact form, split and decoded, not yet verified.
struct ViewerToken {
    /// The header's `alg`.
    let algorithm: String
    /// What the signature covers: the header and payload as sent, joined by a dot.
    let signingInput: ArraySlice<UInt8>
    let signature: [UInt8]
    /// The payload's members.
    let claims: [JSONMember]

    /// Longest token accepted, in bytes.
    static let maxBytes = 8 * 1024

    /// Splits and decodes `token`; throws the failed check's message.
    init(_ token: Substring) throws(ViewerTokenError) {
        let bytes = Array(token.utf8)
        guard bytes.count <= Self.maxBytes else { throw ViewerTokenError("token: longer than \(Self.maxBytes) bytes") }
        let parts = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw ViewerTokenError("token: malformed, not three base64url parts") }
        let header = try Self.object(parts[0], "header")
        if header.contains(where: { $0.key == "crit" }) { throw ViewerTokenError("token: header lists crit extensions, which are not supported") }
        guard let alg = header.last(where: { $0.key == "alg" }).flatMap({ JSONScanner.string($0.value) }) else {
            throw ViewerTokenError("token: header has no alg")
        }
        guard let signature = try? Base64.decode(bytes: parts[2], options: [.base64UrlAlphabet, .omitPaddingCharacter]) else {
            throw ViewerTokenError("token: signature is not base64url")
        }
        self.algorithm = alg
        self.signingInput = bytes[bytes.startIndex..<parts[1].endIndex]
        self.signature = signature
        self.claims = try Self.object(parts[1], "payload")
    }

    private static func object(_ part: ArraySlice<UInt8>, _ name: String) throws(ViewerTokenError) -> [JSONMember] {
        guard let json = try? Base64.decode(bytes: part, options: [.base64UrlAlphabet, .omitPaddingCharacter]),
            let members = try? JSONScanner.object(in: json[...])
        else { throw ViewerTokenError("token: \(name) is not base64url JSON object") }
        return members
    }

    func claim(_ name: String) -> ArraySlice<UInt8>? {
        claims.last { $0.key == name }?.value
    }

    /// A NumericDate claim (seconds since 1970, possibly fractional), in milliseconds.
    func time(_ name: String) throws(ViewerTokenError) -> Int64? {
        guard let raw = claim(name) else { return nil }
        guard let seconds = Double(String(decoding: raw, as: UTF8.self)), seconds.isFinite, abs(seconds) < 1e13 else {
            throw ViewerTokenError("token: \(name) is not a number of seconds")
        }
        return Int64(seconds * 1000)
    }

    /// A claim that is a string, or a list of strings.
    func strings(_ name: String) -> [String]? {
        guard let raw = claim(name) else { return nil }
        if let single = JSONScanner.string(raw) { return [single] }
        guard let elements = JSONScanner.elements(ofArray: raw) else { return nil }
        var strings: [String] = []
        for element in elements {
            guard let string = JSONScanner.string(element) else { return nil }
            strings.append(string)
        }
        return strings
    }
}

/// A failed token check; its message is the `401` answer's `error` and never holds the token.
struct ViewerTokenError: Error {
    let message: String

    init(_ message: String) {
        self.message = message
    }
}
