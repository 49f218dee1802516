import Foundation
import JWTKit
import StreamHubAuth
import StreamHubCore
import Testing

/// Viewer tokens against the committed vectors (made by `Vectors/make-vectors.sh` with openssl
/// alone) and against tokens minted here with jwt-kit.
@Suite struct JWTViewerAuthenticatorTests {
    static let vectors = Bundle.module.url(forResource: "Vectors", withExtension: nil)!
    static func vector(_ name: String) throws -> String { try String(contentsOf: vectors.appendingPathComponent(name), encoding: .utf8) }
    static func token(_ name: String) throws -> Substring {
        let tokens = try JSONSerialization.jsonObject(with: Data(contentsOf: vectors.appendingPathComponent("tokens.json"))) as! [String: String]
        return Substring(tokens[name]!)
    }

    let now = Timestamp(millisecondsSince1970: 1_800_000_000_000)
    static let secret = "a-secret-of-thirty-two-bytes-or-more"
    let stream = StreamID("match-7")!

    private func authenticator(
        secrets: [String] = [], keys: [String] = [], audience: String? = nil, issuer: String? = nil, leeway: Duration = .seconds(30)
    ) async throws -> JWTViewerAuthenticator {
        try await JWTViewerAuthenticator(
            ViewerAuthConfiguration(
                secrets: secrets, publicKeyPEMs: try keys.map(Self.vector), audience: audience, issuer: issuer, leeway: leeway))
    }

    private func refusal(_ result: Result<ViewerGrant, ViewerAuthFailure>) -> ViewerAuthFailure? {
        if case .failure(let failure) = result { failure } else { nil }
    }

    @Test(arguments: ["hs256", "es256", "rs256"])
    func aTokenMadeByOpenSSLIsAcceptedWithItsSubjectAndExpiry(vector: String) async throws {
        let hub = try await authenticator(
            secrets: [try Self.vector("hs256-secret.txt")], keys: ["ec-p256-public.pem", "rsa-2048-public.pem"], audience: "streamhub",
            issuer: "platform")
        let grant = try hub.authenticate(token: try Self.token(vector), for: stream, now: now).get()
        #expect(grant == ViewerGrant(subject: "viewer-42", expiresAt: Timestamp(millisecondsSince1970: 4_102_444_800_000 + 30_000)))
        #expect(try hub.authenticate(token: try Self.token(vector), for: StreamID("cup-final")!, now: now).get().subject == "viewer-42")
        let other = refusal(hub.authenticate(token: try Self.token(vector), for: StreamID("league-1")!, now: now))
        #expect(other?.kind == .forbidden && other?.message.contains("streams") == true)
    }

    @Test(arguments: [
        ("hs256_expired", "expired"), ("alg_none", "alg none"), ("no_alg", "no alg"), ("crit", "crit"),
        ("hs256_signed_with_ec_public_key", "signature"),
    ])
    func everyRefusalNamesItsCheck(vector: String, check: String) async throws {
        let hub = try await authenticator(secrets: [try Self.vector("hs256-secret.txt")], keys: ["ec-p256-public.pem"])
        let failure = refusal(hub.authenticate(token: try Self.token(vector), for: stream, now: now))
        #expect(failure?.kind == .unauthorized)
        #expect(failure?.message.contains(check) == true, "\(failure?.message ?? "accepted")")
        #expect(failure?.message.contains(String(try Self.token(vector).prefix(20))) == false, "the token is never echoed")
    }

    @Test func anHMACTokenSignedWithThePublicKeysBytesMeetsNoHMACKey() async throws {
        let hub = try await authenticator(keys: ["ec-p256-public.pem"])
        let failure = refusal(hub.authenticate(token: try Self.token("hs256_signed_with_ec_public_key"), for: stream, now: now))
        #expect(failure?.message.contains("alg HS256 is not the algorithm of a configured key") == true)
    }

    @Test func anRSAKeyUnder2048BitsOrAShortSecretStopsTheStart() async throws {
        await #expect(throws: ViewerTokenKeyError.self) { try await authenticator(keys: ["rsa-1024-public.pem"]) }
        await #expect(throws: ViewerTokenKeyError.self) { try await authenticator(keys: ["hs256-secret.txt"]) }
        await #expect(throws: ViewerTokenKeyError.self) { try await authenticator(secrets: ["too-short"]) }
    }

    // MARK: Tokens minted here

    struct Claims: JWTPayload {
        var sub: SubjectClaim?
        var exp: ExpirationClaim?
        var nbf: NotBeforeClaim?
        var streams: [String]?
        var aud: AudienceClaim?
        var iss: IssuerClaim?
        func verify(using algorithm: some JWTAlgorithm) throws {}
    }

    private func mint(_ secret: String, _ claims: Claims) async throws -> Substring {
        Substring(try await JWTKeyCollection().add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256).sign(claims))
    }

    private func claims(expiresIn seconds: Double = 60, streams: [String]? = ["match-7"]) -> Claims {
        let date = Date(timeIntervalSince1970: Double(now.millisecondsSince1970) / 1000)
        return Claims(sub: "u1", exp: .init(value: date.addingTimeInterval(seconds)), streams: streams)
    }

    @Test func rotationAcceptsEitherSecretAndRefusesAThird() async throws {
        let hub = try await authenticator(secrets: ["old-secret-old-secret-old-secret-0", "new-secret-new-secret-new-secret-0"])
        for secret in ["old-secret-old-secret-old-secret-0", "new-secret-new-secret-new-secret-0"] {
            let token = try await mint(secret, claims())
            #expect(throws: Never.self) { try hub.authenticate(token: token, for: stream, now: now).get() }
        }
        let third = refusal(hub.authenticate(token: try await mint("third-secret-third-secret-third-0", claims()), for: stream, now: now))
        #expect(third?.message.contains("signature") == true)
    }

    @Test func timesAllowTheLeewayAndNoMore() async throws {
        let hub = try await authenticator(secrets: [Self.secret], leeway: .seconds(30))
        let withinLeeway = try await mint(Self.secret, claims(expiresIn: -29))
        #expect(try hub.authenticate(token: withinLeeway, for: stream, now: now).get().subject == "u1")
        let expired = try await mint(Self.secret, claims(expiresIn: -31))
        #expect(refusal(hub.authenticate(token: expired, for: stream, now: now))?.message == "token: expired")
        var early = claims()
        early.nbf = .init(value: Date(timeIntervalSince1970: Double(now.millisecondsSince1970) / 1000 + 60))
        let tooEarly = try await mint(Self.secret, early)
        #expect(refusal(hub.authenticate(token: tooEarly, for: stream, now: now))?.message.contains("nbf") == true)
        early.nbf = .init(value: Date(timeIntervalSince1970: Double(now.millisecondsSince1970) / 1000 + 20))
        let earlyWithinLeeway = try await mint(Self.secret, early)
        #expect(throws: Never.self) { try hub.authenticate(token: earlyWithinLeeway, for: stream, now: now).get() }
    }

    @Test func prefixAndWildcardStreamsAndAnEmptyListCoverWhatTheySay() async throws {
        let hub = try await authenticator(secrets: [Self.secret])
        func covers(_ streams: [String], _ id: String) async throws -> Bool {
            (try? hub.authenticate(token: try await mint(Self.secret, claims(streams: streams)), for: StreamID(id)!, now: now).get()) != nil
        }
        for (streams, id, covered) in [
            (["*"], "anything", true), (["cup-*"], "cup-", true), (["cup-*"], "cup-final", true), (["cup-*"], "cu", false),
            (["cup"], "cup-final", false), ([], "cup", false),
        ] {
            let result = try await covers(streams, id)
            #expect(result == covered, "\(streams) covers \(id)")
        }
    }

    @Test func missingClaimsAudienceAndIssuerAreEachNamed() async throws {
        let hub = try await authenticator(secrets: [Self.secret], audience: "streamhub", issuer: "platform")
        var noSub = claims()
        noSub.sub = nil
        var withAudience = claims()
        withAudience.aud = "streamhub"
        withAudience.iss = "platform"
        let good = try await mint(Self.secret, withAudience)
        #expect(throws: Never.self) { try hub.authenticate(token: good, for: stream, now: now).get() }
        for (payload, check) in [(noSub, "sub"), (claims(streams: nil), "streams"), (claims(), "aud")] {
            let token = try await mint(Self.secret, payload)
            let failure = refusal(hub.authenticate(token: token, for: stream, now: now))
            #expect(failure?.message.contains(check) == true, "\(failure?.message ?? "accepted")")
        }
        withAudience.iss = "someone-else"
        let otherIssuer = try await mint(Self.secret, withAudience)
        #expect(refusal(hub.authenticate(token: otherIssuer, for: stream, now: now))?.message.contains("iss") == true)
        var noExpiry = withAudience
        noExpiry.iss = "platform"
        noExpiry.exp = nil
        let neverExpires = try await mint(Self.secret, noExpiry)
        #expect(refusal(hub.authenticate(token: neverExpires, for: stream, now: now))?.message.contains("exp") == true)
    }

    @Test(arguments: ["", "abc", "a.b", "a.b.c.d", "!!!.e30.", "e30.e30.!!!", String(repeating: "a", count: 9000)])
    func malformedTokensAreUnauthorized(token: String) async throws {
        let hub = try await authenticator(secrets: [Self.secret])
        #expect(refusal(hub.authenticate(token: Substring(token), for: stream, now: now))?.kind == .unauthorized)
        #expect(refusal(hub.authenticate(token: nil, for: stream, now: now))?.message.contains("no viewer token") == true)
    }
}
