import Foundation
import StreamHubTestSupport

/// External programs some tests need: found on `PATH`; with `STREAMHUB_REQUIRE_INTEGRATION=1` a missing one fails the test.
enum IntegrationTool {
    static var required: Bool { ProcessInfo.processInfo.environment["STREAMHUB_REQUIRE_INTEGRATION"] == "1" }

    /// The Debian packages that bring each program.
    static let packages = ["promtool": "prometheus", "prometheus": "prometheus", "systemd-analyze": "systemd", "nginx": "nginx", "ffmpeg": "ffmpeg"]

    static func path(_ name: String) -> String? {
        // nginx lives in /usr/sbin, which a user's PATH may not hold.
        let directories = ((ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin") + ":/usr/sbin").split(separator: ":")
        return directories.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Whether a test that needs `name` should run: it is installed, or it is required (and the test will fail).
    static func shouldRun(_ name: String) -> Bool { path(name) != nil || required }

    static func require(_ name: String) throws -> String {
        guard let path = path(name) else {
            throw TestFailure(
                "\(name) is not installed (apt-get install \(packages[name] ?? name)); STREAMHUB_REQUIRE_INTEGRATION=1 makes that a failure")
        }
        return path
    }
}
