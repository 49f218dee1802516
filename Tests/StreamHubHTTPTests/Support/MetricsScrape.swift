import Foundation
import StreamHubTestSupport

/// One `/metrics` scrape, parsed into series for assertions.
struct MetricsScrape: Sendable {
    struct Series: Sendable {
        let name: String
        let labels: [String: String]
        let value: Double
    }

    let text: String
    let contentType: String?
    let series: [Series]

    init(text: String, contentType: String?) {
        self.text = text
        self.contentType = contentType
        self.series = text.split(separator: "\n").compactMap { line -> Series? in
            guard !line.hasPrefix("#"), let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...])
            else { return nil }
            let key = line[..<space]
            guard let brace = key.firstIndex(of: "{") else { return Series(name: String(key), labels: [:], value: value) }
            var labels: [String: String] = [:]
            for pair in key[key.index(after: brace)..<key.index(before: key.endIndex)].split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                labels[String(parts[0])] = String(parts[1].dropFirst().dropLast())
            }
            return Series(name: String(key[..<brace]), labels: labels, value: value)
        }
    }

    /// The value of the one series named `name` with exactly these labels (ignoring `le`-less others).
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        series.first { $0.name == name && $0.labels == labels }?.value
    }

    func all(_ name: String) -> [Series] { series.filter { $0.name == name } }
}

extension TestHub {
    /// Scrapes `/metrics` from the metrics port when there is one, else the main port.
    func scrape() async throws -> MetricsScrape {
        let answer = try await HubClient(port: metricsPort ?? port).get("/metrics")
        guard answer.status == 200 else { throw TestFailure("/metrics answered \(answer.status)") }
        return MetricsScrape(text: answer.body, contentType: answer.headers[.contentType])
    }
}
