/// Decides who may watch which stream: the seam of viewer authentication.
///
/// The hub has none unless viewer authentication is configured (then every viewer needs a token);
/// `StreamHubAuth` implements it with JSON Web Tokens. Checked once per connect, never per message.
public protocol ViewerAuthenticator: Sendable {
    /// Checks `token` (as the viewer sent it, `nil` for none) for watching `streamID` at `now`.
    func authenticate(token: Substring?, for streamID: StreamID, now: Timestamp) -> Result<ViewerGrant, ViewerAuthFailure>
}

/// What a valid token allows: watching its streams until it expires.
public struct ViewerGrant: Sendable, Equatable {
    /// The token's `sub`: the viewer's user id.
    public let subject: String
    /// When the viewer is closed with `4001`: the token's `exp` plus the leeway.
    public let expiresAt: Timestamp

    public init(subject: String, expiresAt: Timestamp) {
        self.subject = subject
        self.expiresAt = expiresAt
    }
}

/// Why a viewer token was refused.
public struct ViewerAuthFailure: Error, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// No token, or one that fails a check: `401`.
        case unauthorized
        /// A valid token whose `streams` do not cover the stream: `403`.
        case forbidden
    }

    public let kind: Kind
    /// Names the failed check, for the answer's `error`; never holds the token.
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// The rejection it is counted as.
    public var rejection: ViewerRejection { kind == .forbidden ? .forbidden : .unauthorized }
}
