import CryptoExtras
import JWTKit

/// One key viewer tokens may be signed with, and the one algorithm it verifies.
///
/// The signature check is jwt-kit's; a key verifies only tokens whose header names its algorithm,
/// so a token "signed" with a public key's bytes as an HMAC secret never meets an HMAC check.
struct ViewerTokenKey: Sendable {
    /// `HS256`, `ES256` or `RS256`, as a token's `alg` names it.
    let algorithm: String
    let verifier: any JWTAlgorithm

    /// Shortest HS256 secret, in bytes: RFC 7518 asks for a key as long as the hash.
    static let minimumSecretBytes = 32

    /// An HS256 secret.
    static func secret(_ secret: String) async throws(ViewerTokenKeyError) -> ViewerTokenKey {
        guard secret.utf8.count >= minimumSecretBytes else {
            throw ViewerTokenKeyError("an HS256 secret must be at least \(minimumSecretBytes) bytes")
        }
        let keys = await JWTKeyCollection().add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        return ViewerTokenKey(algorithm: "HS256", verifier: try await verifier(of: keys))
    }

    /// A PEM public key: EC P-256 (ES256) or RSA of at least 2048 bits (RS256).
    static func publicKey(pem: String) async throws(ViewerTokenKeyError) -> ViewerTokenKey {
        if let key = try? ES256PublicKey(pem: pem) {
            return ViewerTokenKey(algorithm: "ES256", verifier: try await verifier(of: await JWTKeyCollection().add(ecdsa: key)))
        }
        guard let rsa = try? _RSA.Signing.PublicKey(unsafePEMRepresentation: pem) else {
            throw ViewerTokenKeyError("not a PEM public key of EC P-256 (ES256) or RSA (RS256)")
        }
        guard rsa.keySizeInBits >= 2048, let key = try? Insecure.RSA.PublicKey(backing: rsa) else {
            throw ViewerTokenKeyError("an RSA key must have at least 2048 bits, not \(rsa.keySizeInBits)")
        }
        return ViewerTokenKey(algorithm: "RS256", verifier: try await verifier(of: await JWTKeyCollection().add(rsa: key, digestAlgorithm: .sha256)))
    }

    private static func verifier(of keys: JWTKeyCollection) async throws(ViewerTokenKeyError) -> any JWTAlgorithm {
        do {
            return try await keys.getKey()
        } catch {
            throw ViewerTokenKeyError("jwt-kit refused the key")
        }
    }
}

/// Why a configured key cannot be used; stops the start.
public struct ViewerTokenKeyError: Error, CustomStringConvertible {
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}
