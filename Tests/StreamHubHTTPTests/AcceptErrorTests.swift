import StreamHubTestSupport
import Testing

/// A hub out of file descriptors: it says so, counts it, and serves again once they are free.
@Suite(.timeLimit(.minutes(2))) struct AcceptErrorTests {
    @Test func aHubOutOfDescriptorsLogsAndCountsItAndAcceptsAgainOnceTheyAreFree() async throws {
        let hub = try await HubProcess(["--log-level", "info"], openFiles: 320)
        defer { hub.terminate() }
        let started = ContinuousClock.now
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
        // One warning per 10 s however many accepts fail (a loaded machine may take more than 10 s to get here).
        let warnings = hub.log.components(separatedBy: "Accepting connections failed").count - 1
        let allowed = 1 + Int((ContinuousClock.now - started) / .seconds(10))
        #expect((1...allowed).contains(warnings), "\(warnings) warnings in \(ContinuousClock.now - started)")
        for client in clients { await client.close() }
        let client = HubClient(port: hub.port)
        var lastFailure = "no answer yet"
        let answered = try? await eventually(timeout: .seconds(60), "the hub answers again") { () async -> MetricsScrape? in
            do {
                let answer = try await client.get("/metrics")
                guard answer.status == 200 else {
                    lastFailure = "status \(answer.status): \(answer.body.prefix(200))"
                    return nil
                }
                return MetricsScrape(text: answer.body, contentType: nil)
            } catch {
                lastFailure = "\(error)"
                return nil
            }
        }
        guard let scrape = answered else { throw TestFailure("the hub never answered again; last try: \(lastFailure)\n\(hub.log.suffix(2000))") }
        #expect(scrape.value("streamhub_accept_errors_total") ?? 0 >= 1)
    }
}
