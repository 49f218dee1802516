import Foundation
import StreamHubCore
import StreamHubTestSupport
import Testing

@Suite(.timeLimit(.minutes(1))) struct MetricsTests {
    @Test func everyFamilyAndKnownLabelIsExportedFromTheStart() async throws {
        try await TestHub.run { hub in
            let scrape = try await hub.scrape()
            #expect(scrape.contentType == "text/plain; version=0.0.4; charset=utf-8")
            #expect(scrape.value("streamhub_connections") == 0)
            #expect(scrape.value("streamhub_connections_opened_total") == 0)
            #expect(scrape.value("streamhub_streams") == 0)
            for reason in ["client", "reaped", "slow_consumer", "protocol", "shutdown", "error"] {
                #expect(scrape.value("streamhub_connections_closed_total", ["reason": reason]) == 0, "\(reason)")
            }
            for reason in ["bad_request", "limit", "origin", "draining"] {
                #expect(scrape.value("streamhub_connections_rejected_total", ["reason": reason]) == 0, "\(reason)")
            }
            for event in ["stream_started", "stream_ended", "quality_changed"] {
                #expect(scrape.value("streamhub_events_published_total", ["event": event]) == 0)
                #expect(scrape.value("streamhub_broadcast_latency_seconds_count", ["event": event]) == 0)
            }
            for event in ["stream_state", "viewer_count_changed", "stream_started", "stream_ended", "quality_changed"] {
                #expect(scrape.value("streamhub_messages_sent_total", ["event": event]) == 0)
            }
            let buckets = scrape.all("streamhub_heartbeat_rtt_seconds_bucket").compactMap { $0.labels["le"] }
            #expect(buckets == ["0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1.0", "2.5", "5.0", "+Inf"])
            #expect(scrape.value("streamhub_stream_viewers", ["stream_id": "(other)"]) == 0)
            #expect(scrape.value("streamhub_build_info", ["version": StreamHubVersion.current]) == 1)
            #expect(scrape.value("process_resident_memory_bytes") ?? 0 > 1_000_000)
            #expect(scrape.value("process_open_fds") ?? 0 > 3)
            #expect(scrape.value("process_max_fds") ?? 0 >= scrape.value("process_open_fds") ?? 0)
            #expect(scrape.value("process_cpu_seconds_total") ?? 0 > 0)
            let started = scrape.value("process_start_time_seconds") ?? 0
            #expect(abs(started - Date().timeIntervalSince1970) < 3600)
        }
    }

    @Test func valuesFollowWhatViewersAndPublishersDid() async throws {
        try await TestHub.run(TestHub.configuration { $0.hub.allowedOrigins = .only(["https://ok.example"]) }) { hub in
            var viewers: [TestViewer] = []
            for _ in 0..<3 { viewers.append(try await hub.join("big")) }
            let leaver = try await hub.join("small")
            _ = try await leaver.waitFor("stream_state")
            _ = try await TestViewer.connect(port: hub.port, path: "/api/v1/streams/big/ws", options: .init(origin: "https://evil.example"))
            try await leaver.send(.connectionClose, [0x03, 0xE8])
            try await leaver.waitUntilClosed()
            try await eventually("leaver counted") { hub.observer.counts.closed[.client] == 1 ? true : nil }
            for _ in 0..<4 { try await hub.publish("big", "quality_changed", data: #"{"q":1}"#) }
            for viewer in viewers { _ = try await viewer.waitFor("quality_changed", count: 4) }
            try await eventually("broadcasts observed") {
                hub.observer.counts.broadcasts.filter { $0.event == "quality_changed" }.count == 4 ? true : nil
            }

            let scrape = try await hub.scrape()
            #expect(scrape.value("streamhub_connections") == 3)
            #expect(scrape.value("streamhub_connections_opened_total") == 4)
            #expect(scrape.value("streamhub_connections_closed_total", ["reason": "client"]) == 1)
            #expect(scrape.value("streamhub_connections_rejected_total", ["reason": "origin"]) == 1)
            #expect(scrape.value("streamhub_streams") == 1)
            #expect(scrape.value("streamhub_stream_viewers", ["stream_id": "big"]) == 3)
            #expect(scrape.value("streamhub_stream_viewers", ["stream_id": "small"]) == nil, "an emptied stream leaves no series")
            #expect(scrape.value("streamhub_events_published_total", ["event": "quality_changed"]) == 4)
            #expect(scrape.value("streamhub_messages_sent_total", ["event": "quality_changed"]) == 12, "viewers × events")
            #expect(scrape.value("streamhub_messages_sent_total", ["event": "stream_state"]) == 4)
            #expect(scrape.value("streamhub_broadcast_latency_seconds_count", ["event": "quality_changed"]) == 4)
            let sum = scrape.value("streamhub_broadcast_latency_seconds_sum", ["event": "quality_changed"]) ?? -1
            #expect(sum > 0 && sum < 1)
        }
    }

    @Test func reapedConnectionsAndHeartbeatRoundTripsAreCounted() async throws {
        let configuration = TestHub.configuration {
            $0.hub.pingInterval = .milliseconds(100)
            // Long enough that the viewer that answers is never reaped on a busy machine.
            $0.hub.pongTimeout = .seconds(1)
        }
        try await TestHub.run(configuration) { hub in
            let silent = try await hub.join("a", .init(answerPings: false))
            let alive = try await hub.join("a")
            try await silent.waitUntilClosed()
            try await eventually(timeout: .seconds(15), "a pong timed") { hub.observer.counts.roundTrips.isEmpty ? nil : true }
            let scrape = try await hub.scrape()
            #expect(scrape.value("streamhub_connections_closed_total", ["reason": "reaped"]) == 1)
            #expect(scrape.value("streamhub_connections_closed_total", ["reason": "client"]) == 0)
            #expect(scrape.value("streamhub_heartbeat_rtt_seconds_count") ?? 0 >= 1)
            #expect(scrape.value("streamhub_connections") == 1)
            #expect(alive.isConnected)
        }
    }

    @Test func slowConsumersAreCounted() async throws {
        let configuration = TestHub.configuration {
            $0.hub.maxQueuedBytes = 64 * 1024
            $0.hub.unreapable()
        }
        try await TestHub.run(configuration) { hub in
            let slow = try await hub.join("b", .init(receiveBufferBytes: 4096))
            _ = try await slow.waitFor("stream_state")
            try await slow.stopReading()
            let padding = String(repeating: "x", count: 60 * 1024)
            for _ in 0..<100 where hub.observer.counts.closed[.slowConsumer] == nil {
                try await hub.publish("b", "quality_changed", data: #"{"pad":"\#(padding)"}"#)
            }
            try await eventually("slow consumer closed") { hub.observer.counts.closed[.slowConsumer] == 1 ? true : nil }
            let scrape = try await hub.scrape()
            #expect(scrape.value("streamhub_connections_closed_total", ["reason": "slow_consumer"]) == 1)
            #expect(scrape.value("streamhub_connections_closed_total", ["reason": "reaped"]) == 0)
        }
    }

    @Test func streamViewersKeepsTheTopStreamsAndSumsTheRest() async throws {
        try await TestHub.run(TestHub.configuration { $0.metricsTopStreams = 2 }) { hub in
            var viewers: [TestViewer] = []
            for (stream, count) in [("a", 4), ("b", 3), ("c", 2), ("d", 1), ("e", 1)] {
                for _ in 0..<count { viewers.append(try await hub.join(stream)) }
            }
            try await eventually("joins counted") { hub.hub.connections == 11 ? true : nil }
            let scrape = try await hub.scrape()
            let series = scrape.all("streamhub_stream_viewers")
            #expect(series.count == 3)
            #expect(scrape.value("streamhub_stream_viewers", ["stream_id": "a"]) == 4)
            #expect(scrape.value("streamhub_stream_viewers", ["stream_id": "b"]) == 3)
            #expect(scrape.value("streamhub_stream_viewers", ["stream_id": "(other)"]) == 4)
            #expect(scrape.value("streamhub_streams") == 5)
        }
    }

    @Test func metricsPortServesMetricsAndHealthWhileTheMainPortAnswers404() async throws {
        try await TestHub.run(TestHub.configuration { $0.metricsPort = 0 }) { hub in
            let metricsPort = try #require(hub.metricsPort)
            let main = HubClient(port: hub.port)
            let side = HubClient(port: metricsPort)
            #expect(try await main.get("/metrics").status == 404)
            #expect(try await side.get("/metrics").status == 200)
            for path in ["/healthz", "/readyz"] {
                #expect(try await main.get(path).status == 200)
                #expect(try await side.get(path).status == 200)
            }
            #expect(try await side.get("/api/v1/streams/s").status == 404)
        }
    }

    @Test(.enabled(if: IntegrationTool.shouldRun("promtool"), "promtool is not installed"))
    func realScrapePassesPromtoolCheckMetrics() async throws {
        let promtool = try IntegrationTool.require("promtool")
        try await TestHub.run { hub in
            let viewer = try await hub.join("s")
            try await hub.publish("s", "stream_started")
            _ = try await viewer.waitFor("stream_started")
            let scrape = try await hub.scrape()
            let result = try await ChildProcess.run(URL(fileURLWithPath: promtool), ["check", "metrics"], input: Data(scrape.text.utf8))
            let report = result.stdout + result.stderr
            #expect(result.status == 0, "\(report)")
            #expect(report.isEmpty, "promtool had remarks: \(report)")
        }
    }

    @Test(.enabled(if: IntegrationTool.shouldRun("prometheus"), "prometheus is not installed"))
    func realPrometheusScrapesTheHub() async throws {
        try await TestHub.run { hub in
            var viewers: [TestViewer] = []
            for _ in 0..<3 { viewers.append(try await hub.join("s")) }
            let prometheus = try await PrometheusServer(scraping: [hub.port])
            defer { prometheus.terminate() }
            let connections = try await eventually(timeout: .seconds(30), "Prometheus to have scraped 3 connections") {
                try await prometheus.query("streamhub_connections") == 3 ? 3.0 : nil
            }
            #expect(connections == 3)
            #expect(try await prometheus.query(#"up{job="streamhub"}"#) == 1)
        }
    }
}
