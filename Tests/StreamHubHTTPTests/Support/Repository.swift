import Foundation
import StreamHubTestSupport

/// Files of this repository, found from this source file's path.
enum Repository {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func file(_ path: String) -> URL { root.appendingPathComponent(path) }

    /// Every dashboard in `dashboards/`, parsed.
    static func dashboards() throws -> [(name: String, json: [String: Any])] {
        let folder = file("dashboards")
        return try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }.sorted().map { name in
            let data = try Data(contentsOf: folder.appendingPathComponent(name))
            guard let json = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { throw TestFailure("\(name) is not an object") }
            return (name, json)
        }
    }
}

/// The PromQL of a dashboard: every panel target and every query variable.
struct DashboardQueries {
    struct Query {
        let source: String
        let expression: String
        /// `label_values(selector, label)`: evaluated as `selector`, each result must carry `label`.
        let label: String?
    }

    let queries: [Query]

    init(name: String, dashboard: [String: Any]) {
        var queries: [Query] = []
        func collect(_ panels: [[String: Any]]) {
            for panel in panels {
                for target in panel["targets"] as? [[String: Any]] ?? [] {
                    if let expr = target["expr"] as? String {
                        queries.append(Query(source: "\(name): \(panel["title"] ?? "")", expression: expr, label: nil))
                    }
                }
                collect(panel["panels"] as? [[String: Any]] ?? [])
            }
        }
        collect(dashboard["panels"] as? [[String: Any]] ?? [])
        let variables = (dashboard["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? []
        for variable in variables where variable["type"] as? String == "query" {
            let text = (variable["query"] as? [String: Any])?["query"] as? String ?? variable["query"] as? String ?? ""
            if let match = text.wholeMatch(of: /label_values\((.+),\s*(\w+)\)/) {
                queries.append(Query(source: "\(name): variable \(variable["name"] ?? "")", expression: String(match.1), label: String(match.2)))
            } else {
                queries.append(Query(source: "\(name): variable \(variable["name"] ?? "")", expression: text, label: nil))
            }
        }
        self.queries = queries
    }

    /// The expression as Grafana would send it with every variable set to All (`.*`) and intervals of 1m.
    static func substitute(_ expression: String) -> String {
        expression
            .replacingOccurrences(of: "$__rate_interval", with: "1m")
            .replacingOccurrences(of: "$__interval", with: "1m")
            .replacingOccurrences(of: #"\$\{?[a-z_]+\}?"#, with: ".*", options: .regularExpression)
    }
}
