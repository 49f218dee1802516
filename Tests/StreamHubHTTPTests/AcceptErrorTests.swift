import StreamHubTestSupport
import Testing

/// A hub out of file descriptors: it says so, counts it, and serves again soon after they are free.
@Suite(.timeLimit(.minutes(1))) struct AcceptErrorTests {
    @Test func aHubOutOfDescriptorsLogsAndCountsItAndAcceptsAgainOnceTheyAreFree() async throws {
        let hub = try await HubProcess(["--log-level", "info"], openFiles: 320)
        defer { hub.terminate() }
        // More connections than the hub has descriptors: the kernel queues the rest unaccepted.
        var clients: [RawTCPClient] = []
        // On a loaded machine the kernel may reset a connect whose accept queue overflowed: those count for nothing.
        for _ in 0..<400 {
            if let connected = try? await RawTCPClient.connect(port: hub.port) { clients.append(connected) }
        }
        #expect(clients.count > 320, "only \(clients.count) of 400 connects got through")
        try await eventually(timeout: .seconds(10), "the failed accepts logged") {
            hub.log.contains("Accepting connections failed") ? true : nil
        }
        #expect(hub.log.components(separatedBy: "Accepting connections failed").count - 1 == 1, "one warning per 10 s, not one per failure")
        for client in clients { await client.close() }
        let freed = ContinuousClock.now
        let client = HubClient(port: hub.port)
        let scrape = try await eventually(timeout: .seconds(10), "the hub answers again") { () async -> MetricsScrape? in
            guard let answer = try? await client.get("/metrics"), answer.status == 200 else { return nil }
            return MetricsScrape(text: answer.body, contentType: nil)
        }
        let recovery = ContinuousClock.now - freed
        #expect(scrape.value("streamhub_accept_errors_total") ?? 0 >= 1)
        // The hub retries its accepts every second; the rest is this test's own polling on a busy machine.
        #expect(recovery < .seconds(5), "answered again \(recovery) after the descriptors were freed")
    }
}
