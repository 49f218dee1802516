import Foundation
import JWTKit

/// Per-viewer tokens for a hub with viewer authentication: minted before connecting, so their cost
/// is not the connect rate's.
enum ViewerTokens {
    struct Claims: JWTPayload {
        var sub: SubjectClaim
        var exp: ExpirationClaim
        var streams: [String]
        func verify(using algorithm: some JWTAlgorithm) throws {}
    }

    /// One token per viewer (`viewers` of them; viewer `i` watches stream `i % streams`), or none
    /// without `--viewer-token-secret`/`--viewer-token-key`.
    static func mint(command: BenchCommand, viewers: Int, stream name: (Int) -> String) async throws -> [String] {
        let keys = JWTKeyCollection()
        if let secret = command.viewerTokenSecret {
            await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        } else if let path = command.viewerTokenKey {
            await keys.add(ecdsa: try ES256PrivateKey(pem: try String(contentsOfFile: path, encoding: .utf8)))
        } else {
            return []
        }
        let streams = max(1, command.streams ?? command.scenario.streams)
        let expires = ExpirationClaim(value: Date().addingTimeInterval(3600))
        var tokens: [String] = []
        tokens.reserveCapacity(viewers)
        for index in 0..<viewers {
            tokens.append(try await keys.sign(Claims(sub: .init(value: "viewer-\(index)"), exp: expires, streams: [name(index % streams)])))
        }
        return tokens
    }
}
