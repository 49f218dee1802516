import JWTKit
import StreamHubCore

/// Viewer authentication with JSON Web Tokens: HS256 secrets and ES256/RS256 public keys.
///
/// Checks, each named in the refusal: the token's form, its header (`alg` must be the algorithm
/// of a configured key: `none`, a missing `alg` and `crit` extensions are refused), the signature
/// against every key of that algorithm (rotation), then `exp` (required), `nbf`, `sub` (required),
/// `streams` (required), and `aud`/`iss` when configured, with the leeway on the times. A valid
/// token whose `streams` do not cover the stream is `forbidden`. Synchronous and lock-free:
/// verification runs on the connection's event loop, once per connect.
public struct JWTViewerAuthenticator: ViewerAuthenticator {
    private let keys: [String: [ViewerTokenKey]]
    private let audience: String?
    private let issuer: String?
    private let leewayMilliseconds: Int64

    /// Loads every configured key; throws ``ViewerTokenKeyError`` for a key that cannot be used (the start stops).
    public init(_ configuration: ViewerAuthConfiguration) async throws {
        var keys: [ViewerTokenKey] = []
        for secret in configuration.secrets { keys.append(try await ViewerTokenKey.secret(secret)) }
        for pem in configuration.publicKeyPEMs { keys.append(try await ViewerTokenKey.publicKey(pem: pem)) }
        self.keys = Dictionary(grouping: keys, by: \.algorithm)
        self.audience = configuration.audience
        self.issuer = configuration.issuer
        let leeway = configuration.leeway.components
        self.leewayMilliseconds = leeway.seconds * 1000 + leeway.attoseconds / 1_000_000_000_000_000
    }

    /// The algorithms tokens may use, for the start's log line.
    public var algorithms: [String] { keys.keys.sorted() }

    public func authenticate(token: Substring?, for streamID: StreamID, now: Timestamp) -> Result<ViewerGrant, ViewerAuthFailure> {
        guard let token, !token.isEmpty else {
            return .failure(ViewerAuthFailure(.unauthorized, "no viewer token: send ?token=<jwt> or Authorization: Bearer <jwt>"))
        }
        do {
            let grant = try verify(token, for: streamID, now: now.millisecondsSince1970)
            return grant.map { .success($0) } ?? .failure(ViewerAuthFailure(.forbidden, "token: streams does not cover stream \(streamID)"))
        } catch {
            return .failure(ViewerAuthFailure(.unauthorized, error.message))
        }
    }

    /// The grant of a valid token, `nil` when it does not cover `streamID`.
    private func verify(_ compact: Substring, for streamID: StreamID, now: Int64) throws(ViewerTokenError) -> ViewerGrant? {
        let token = try ViewerToken(compact)
        guard token.algorithm != "none" else { throw ViewerTokenError("token: alg none is refused") }
        guard let candidates = keys[token.algorithm] else {
            throw ViewerTokenError(
                "token: alg \(token.algorithm.prefix(16)) is not the algorithm of a configured key (\(algorithms.joined(separator: ", ")))")
        }
        guard candidates.contains(where: { (try? $0.verifier.verify(token.signature, signs: token.signingInput)) == true }) else {
            throw ViewerTokenError("token: signature does not verify with any configured key")
        }
        guard let expires = try token.time("exp") else { throw ViewerTokenError("token: exp is missing") }
        guard let subject = token.claim("sub").flatMap(JSONScanner.string), !subject.isEmpty else {
            throw ViewerTokenError("token: sub is missing")
        }
        guard let raw = token.claim("streams"), raw.first == UInt8(ascii: "["), let streams = token.strings("streams") else {
            throw ViewerTokenError("token: streams is missing or not a list of stream ids")
        }
        if let audience, !(token.strings("aud") ?? []).contains(audience) { throw ViewerTokenError("token: aud does not name this hub") }
        if let issuer, token.claim("iss").flatMap(JSONScanner.string) != issuer { throw ViewerTokenError("token: iss is not the configured issuer") }
        guard now < expires + leewayMilliseconds else { throw ViewerTokenError("token: expired") }
        if let notBefore = try token.time("nbf"), now + leewayMilliseconds < notBefore { throw ViewerTokenError("token: not valid yet (nbf)") }
        guard StreamsClaim(entries: streams).covers(streamID) else { return nil }
        return ViewerGrant(subject: subject, expiresAt: Timestamp(millisecondsSince1970: expires + leewayMilliseconds))
    }
}
