/// Viewer authentication: the keys viewer tokens may be signed with and the claims checked.
public struct ViewerAuthConfiguration: Sendable {
    /// HS256 secrets; more than one while a secret is rotated.
    public var secrets: [String]
    /// PEM public keys, each an EC P-256 key (ES256) or an RSA key of 2048 bits or more (RS256).
    public var publicKeyPEMs: [String]
    /// When set, a token's `aud` must be or contain it.
    public var audience: String?
    /// When set, a token's `iss` must be it.
    public var issuer: String?
    /// Allowed clock difference for `exp` and `nbf`; a viewer is closed at `exp` plus this.
    public var leeway: Duration

    public init(secrets: [String] = [], publicKeyPEMs: [String] = [], audience: String? = nil, issuer: String? = nil, leeway: Duration = .seconds(30))
    {
        self.secrets = secrets
        self.publicKeyPEMs = publicKeyPEMs
        self.audience = audience
        self.issuer = issuer
        self.leeway = leeway
    }

    /// Whether any key is configured, which turns viewer authentication on.
    public var isEnabled: Bool { !secrets.isEmpty || !publicKeyPEMs.isEmpty }
}
