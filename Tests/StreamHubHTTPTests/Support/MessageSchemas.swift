import Foundation
import StreamHubTestSupport

/// `Tests/validate-messages.py`: viewer messages checked against `openapi.yaml`'s `ServerMessage`,
/// with the Python of `STREAMHUB_PYTHON` (CI's virtualenv) or `python3`, which needs jsonschema and PyYAML.
enum MessageSchemas {
    static let python = ProcessInfo.processInfo.environment["STREAMHUB_PYTHON"] ?? IntegrationTool.path("python3") ?? "python3"

    /// Whether that Python has what the script needs: checked once, by importing it.
    static let available: Bool = {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, "-c", "import jsonschema, yaml, referencing"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }()

    static var shouldRun: Bool { available || IntegrationTool.required }

    /// Fails with the script's report unless every message matches.
    static func validate(_ messages: [String]) async throws {
        guard available else {
            throw TestFailure(
                "\(python) lacks jsonschema and PyYAML (pip install openapi-spec-validator); STREAMHUB_REQUIRE_INTEGRATION=1 makes that a failure")
        }
        let input = Data(messages.map { $0 + "\n" }.joined().utf8)
        let result = try await ChildProcess.run(
            URL(fileURLWithPath: "/usr/bin/env"), [python, Repository.file("Tests/validate-messages.py").path], input: input)
        guard result.status == 0 else { throw TestFailure("messages outside openapi.yaml:\n\(result.stdout)\(result.stderr)") }
    }
}
