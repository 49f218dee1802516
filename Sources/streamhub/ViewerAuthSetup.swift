import Foundation
import StreamHubAuth
import StreamHubCore

/// The `--viewer-jwt-*` flags as a viewer authenticator, or `nil` when no viewer key is given.
enum ViewerAuthSetup {
    static func authenticator(_ command: ServeCommand) async throws(StartupError) -> JWTViewerAuthenticator? {
        var pems: [String] = []
        for path in command.viewerJWTPublicKeys {
            guard let pem = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw StartupError("--viewer-jwt-public-key \(path): cannot read the file")
            }
            pems.append(pem)
        }
        let configuration = ViewerAuthConfiguration(
            secrets: command.viewerJWTSecrets, publicKeyPEMs: pems, audience: command.viewerJWTAudience, issuer: command.viewerJWTIssuer,
            leeway: command.viewerJWTLeeway.duration)
        guard configuration.isEnabled else { return nil }
        do {
            return try await JWTViewerAuthenticator(configuration)
        } catch {
            throw StartupError("--viewer-jwt-public-key: \(error)")
        }
    }
}

/// A configuration the hub cannot start with, named by its flag.
struct StartupError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
