import Foundation
import Testing

/// The systemd unit in `deploy/`, as systemd itself reads it.
@Suite(.timeLimit(.minutes(1))) struct DeploymentTests {
    static let unit = Repository.file("deploy/streamhub.service")

    @Test(.enabled(if: IntegrationTool.shouldRun("systemd-analyze"), "systemd-analyze is not installed"))
    func theSystemdUnitVerifiesCleanly() async throws {
        let analyze = URL(fileURLWithPath: try IntegrationTool.require("systemd-analyze"))
        // The unit as installed, with ExecStart on the binary these tests built.
        let text = try String(contentsOf: Self.unit, encoding: .utf8)
            .replacingOccurrences(of: "/usr/local/bin/streamhub", with: HubProcess.executable.path)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("streamhub-unit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let copy = directory.appendingPathComponent("streamhub.service")
        try text.write(to: copy, atomically: true, encoding: .utf8)
        let result = try await ChildProcess.run(analyze, ["verify", copy.path])
        #expect(result.status == 0 && result.stderr.isEmpty, "\(result.stderr)")
    }

    @Test func theUnitStopsGracefullyWithinLongerThanTheShutdownGraceAndRaisesTheFileLimit() throws {
        let lines = try String(contentsOf: Self.unit, encoding: .utf8).split(separator: "\n").map(String.init)
        func value(_ key: String) -> String? { lines.first { $0.hasPrefix("\(key)=") }.map { String($0.dropFirst(key.count + 1)) } }
        #expect(value("KillSignal") == "SIGTERM")
        let stop = try #require(value("TimeoutStopSec").flatMap { Int($0.dropLast()) })
        #expect(stop > 10, "above the default --shutdown-grace of 10 s")
        #expect(Int(value("LimitNOFILE") ?? "") ?? 0 >= 100_000)
        #expect(value("Restart") == "on-failure")
    }
}
