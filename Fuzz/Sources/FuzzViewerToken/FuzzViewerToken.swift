import FuzzSupport
import StreamHubCore

@testable import StreamHubAuth

/// A viewer token, as anyone may put one in a viewer URL: split, decoded, its claims read and the
/// whole checked against an HS256 key; refused or accepted, never a crash.
@main enum FuzzViewerToken {
    static func main() async throws {
        authenticator = try await JWTViewerAuthenticator(ViewerAuthConfiguration(secrets: ["fuzz-viewer-secret-of-at-least-32-bytes"]))
        runLibFuzzer(fuzzOne)
    }
}

nonisolated(unsafe) private var authenticator: JWTViewerAuthenticator?
private let stream = StreamID("match-1")!

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let token = Substring(String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self))
    if let decoded = try? ViewerToken(token) {
        for claim in ["exp", "nbf", "iat"] { _ = try? decoded.time(claim) }
        for claim in ["streams", "aud"] { _ = decoded.strings(claim) }
    }
    _ = authenticator?.authenticate(token: token, for: stream, now: Timestamp.now())
    return 0
}
