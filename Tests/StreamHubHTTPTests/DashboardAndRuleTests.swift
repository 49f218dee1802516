import Foundation
import StreamHubHTTP
import StreamHubIngest
import StreamHubTestSupport
import Testing

@Suite(.timeLimit(.minutes(3))) struct DashboardAndRuleTests {
    private static func metricNames(in text: String) -> Set<String> {
        Set(text.matches(of: /\b(?:streamhub|process)_[a-z_]+[a-z]\b/).map { String($0.output) })
    }

    /// Ingest on, so its family is exported.
    private static let withIngest: @Sendable (inout StreamHubConfiguration) -> Void = {
        $0.ingest = IngestConfiguration(secrets: ["dashboard-test-secret"])
    }

    @Test(.enabled(if: IntegrationTool.shouldRun("promtool"), "promtool is not installed"))
    func rulesPassPromtoolCheckAndTheirUnitTests() async throws {
        let promtool = URL(fileURLWithPath: try IntegrationTool.require("promtool"))
        for arguments in [["check", "rules", "streamhub-rules.yml"], ["test", "rules", "streamhub-rules.test.yml"]] {
            let result = try await ChildProcess.run(promtool, arguments, directory: Repository.file("alerts"))
            #expect(result.status == 0, "promtool \(arguments.joined(separator: " ")): \(result.stdout)\(result.stderr)")
        }
    }

    @Test func dashboardsAreProvisionableGrafanaJSONWithADatasourceVariable() throws {
        let dashboards = try Repository.dashboards()
        #expect(dashboards.map(\.name) == ["streamhub-overview.json", "streamhub-stream.json"])
        for (name, dashboard) in dashboards {
            let text = String(decoding: try JSONSerialization.data(withJSONObject: dashboard), as: UTF8.self)
            let variables = (dashboard["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? []
            let datasource = variables.first { $0["name"] as? String == "datasource" }
            #expect(datasource?["type"] as? String == "datasource" && datasource?["query"] as? String == "prometheus", "\(name)")
            #expect(Set(variables.compactMap { $0["name"] as? String }).isSuperset(of: ["job", "instance"]), "\(name)")
            #expect(!text.contains(#""uid":"prometheus""#) && text.contains("${datasource}"), "\(name) hard-codes a data source")
            #expect(dashboard["uid"] is String && dashboard["schemaVersion"] as? Int ?? 0 >= 36, "\(name)")
            for panel in dashboard["panels"] as? [[String: Any]] ?? [] where panel["type"] as? String != "row" {
                let unit = ((panel["fieldConfig"] as? [String: Any])?["defaults"] as? [String: Any])?["unit"] as? String
                #expect(unit != nil, "\(name): panel \(panel["title"] ?? "") has no unit")
            }
        }
        let streamVariables = (dashboards[1].json["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? []
        #expect(streamVariables.contains { $0["name"] as? String == "stream_id" })
    }

    @Test(.enabled(if: RedisServer.shouldRun, "redis-server is not installed"))
    func everyMetricInTheDashboardsAndRulesExistsInARealScrape() async throws {
        var used = Self.metricNames(in: try String(contentsOf: Repository.file("alerts/streamhub-rules.yml"), encoding: .utf8))
        for (name, dashboard) in try Repository.dashboards() {
            for query in DashboardQueries(name: name, dashboard: dashboard).queries {
                used.formUnion(Self.metricNames(in: query.expression))
            }
        }
        #expect(used.count > 15)
        let names = used
        let redis = try await RedisServer()
        defer { redis.stop() }
        // A cluster node with ingest on exports every family, the cluster and ingest ones included.
        try await ClusterTests.withTwoNodes(redis.url, edit: Self.withIngest) { hub, _ in
            let exported = Set(try await hub.scrape().series.map(\.name))
            let missing = names.subtracting(exported)
            #expect(missing.isEmpty, "used but not exported: \(missing.sorted())")
        }
    }

    @Test(.enabled(if: IntegrationTool.shouldRun("prometheus") && RedisServer.shouldRun, "prometheus or redis-server is not installed"))
    func everyDashboardQueryParsesAndReturnsDataFromARealPrometheus() async throws {
        let redis = try await RedisServer()
        defer { redis.stop() }
        // Two cluster nodes: events published on one reach viewers on both, so every panel has data.
        let fastPings: @Sendable (inout StreamHubConfiguration) -> Void = {
            $0.hub.pingInterval = .milliseconds(200)
            Self.withIngest(&$0)
        }
        try await ClusterTests.withTwoNodes(redis.url, edit: fastPings) { hub, other in
            var viewers: [TestViewer] = []
            for stream in ["final", "final", "final", "semi"] { viewers.append(try await hub.join(stream)) }
            let publisher = Task {
                var index = 0
                while !Task.isCancelled {
                    index += 1
                    try? await (index % 3 == 0 ? other : hub).publish(index % 2 == 0 ? "final" : "semi", "quality_changed", data: #"{"n":\#(index)}"#)
                    try? await Task.sleep(for: .milliseconds(200))
                }
            }
            defer { publisher.cancel() }
            let prometheus = try await PrometheusServer(
                scraping: [hub.port, other.port],
                ruleFiles: [Repository.file("alerts/streamhub-rules.yml")]
            )
            defer { prometheus.terminate() }
            _ = try await eventually(timeout: .seconds(60), "six scrapes") {
                try await prometheus.query(#"count_over_time(up{job="streamhub"}[1m])"#) ?? 0 >= 6 ? true : nil
            }
            for (name, dashboard) in try Repository.dashboards() {
                for query in DashboardQueries(name: name, dashboard: dashboard).queries {
                    let expression = DashboardQueries.substitute(query.expression)
                    let results: [[String: Any]]
                    do {
                        results = try await prometheus.results(expression)
                    } catch {
                        Issue.record("\(query.source): \(error)")
                        continue
                    }
                    #expect(!results.isEmpty, "\(query.source): no data for \(expression)")
                    if let label = query.label {
                        #expect(results.allSatisfy { ($0["metric"] as? [String: String])?[label] != nil }, "\(query.source)")
                    }
                }
            }
            // The recording rules evaluate on the same data.
            #expect(try await prometheus.results("streamhub:connections:ratio_of_limit").count == 2)
        }
    }
}
