/// The bearer tokens publishers may present; several at once so a token can be rotated.
public struct PublishTokens: Sendable {
    private let tokens: [[UInt8]]

    /// - Precondition: at least one non-empty token.
    public init(_ tokens: [String]) {
        precondition(tokens.contains { !$0.isEmpty }, "at least one publish token is required")
        self.tokens = tokens.filter { !$0.isEmpty }.map { Array($0.utf8) }
    }

    /// Whether `authorization` (an `Authorization` header value) is `Bearer <one of the tokens>`.
    ///
    /// Takes the same time whichever byte differs, and always compares against every token.
    public func accepts(authorization: String?) -> Bool {
        guard let authorization, authorization.utf8.count > 7,
            authorization.utf8.prefix(7).elementsEqual("bearer ".utf8, by: { $0.asciiLowercased == $1 })
        else { return false }
        let presented = authorization.utf8.dropFirst(7)
        var matched = false
        for token in tokens {
            matched = ConstantTime.equals(presented, token) || matched
        }
        return matched
    }
}
