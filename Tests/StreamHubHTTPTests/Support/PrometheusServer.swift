import Foundation
import StreamHubTestSupport

/// A real Prometheus server on a free loopback port, scraping the given targets every second.
final class PrometheusServer: Sendable {
    let port: Int
    private let process: Process
    private let directory: URL
    private let log: LogBuffer

    /// - Parameters:
    ///   - targets: Ports on 127.0.0.1 to scrape, as job `streamhub`.
    ///   - ruleFiles: Rule files to load, copied beside the configuration.
    init(scraping targets: [Int], ruleFiles: [URL] = []) async throws {
        let binary = try IntegrationTool.require("prometheus")
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("streamhub-prometheus-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var ruleNames: [String] = []
        for file in ruleFiles {
            try FileManager.default.copyItem(at: file, to: directory.appendingPathComponent(file.lastPathComponent))
            ruleNames.append(file.lastPathComponent)
        }
        let config = """
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            rule_files: [\(ruleNames.map { "'\($0)'" }.joined(separator: ", "))]
            scrape_configs:
              - job_name: streamhub
                static_configs:
                  - targets: [\(targets.map { "'127.0.0.1:\($0)'" }.joined(separator: ", "))]
            """
        try config.write(to: directory.appendingPathComponent("prometheus.yml"), atomically: true, encoding: .utf8)
        port = try freePort()
        process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "--config.file=\(directory.appendingPathComponent("prometheus.yml").path)",
            "--storage.tsdb.path=\(directory.appendingPathComponent("data").path)",
            "--web.listen-address=127.0.0.1:\(port)",
            "--log.level=warn",
        ]
        let pipe = Pipe()
        let log = LogBuffer()
        self.log = log
        pipe.fileHandleForReading.readabilityHandler = { log.append(String(decoding: $0.availableData, as: UTF8.self)) }
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let client = HubClient(port: port)
        _ = try await eventually(timeout: .seconds(30), "Prometheus to be ready") {
            guard self.process.isRunning else { throw TestFailure("Prometheus exited: \(log.text)") }
            return try? await client.get("/-/ready").status == 200 ? true : nil
        }
    }

    /// The value of an instant query's first sample, or `nil` when the result is empty.
    func query(_ promQL: String) async throws -> Double? {
        guard let first = try await results(promQL).first, let value = first["value"] as? [Any], let text = value.last as? String
        else { return nil }
        return Double(text)
    }

    /// The samples of an instant query; throws with Prometheus's own message when it does not parse or fails.
    func results(_ promQL: String) async throws -> [[String: Any]] {
        let encoded = promQL.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? promQL
        let answer = try await HubClient(port: port).get("/api/v1/query?query=\(encoded)")
        guard answer.status == 200, answer.json["status"] as? String == "success", let data = answer.json["data"] as? [String: Any] else {
            throw TestFailure("query \(promQL) answered \(answer.status): \(answer.json["error"] ?? answer.body)")
        }
        return data["result"] as? [[String: Any]] ?? []
    }

    /// Asks Prometheus to exit and removes its files; does not wait, so no test thread blocks.
    func terminate() {
        if process.isRunning { process.terminate() }
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { terminate() }
}
