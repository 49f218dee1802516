import AsyncHTTPClient
import Foundation
import Histogram
import NIOCore
import NIOPosix
import Synchronization

/// One run of a scenario against one server.
struct BenchRun {
    let command: BenchCommand
    let scenario: Scenario

    func streamName(_ index: Int) -> String { "\(command.streamPrefix)\(index)" }

    func run() async throws -> BenchResult {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: command.threads)
        let pool = ViewerPool(group: group)
        let client = HTTPClient(eventLoopGroupProvider: .shared(group))
        var result = BenchResult(label: command.label, preset: command.preset ?? "custom", scenario: scenario)

        let publishURL = command.publishURL
        let body = command.body
        let publisher = Publisher(
            client: client,
            url: { publishURL.replacingOccurrences(of: "{stream}", with: streamName($0)) },
            body: { seq, stream in
                body.replacingOccurrences(of: "{seq}", with: "\(seq)").replacingOccurrences(of: "{stream}", with: streamName(stream))
            },
            token: command.token
        )
        if let back = scenario.resumeBack {
            let storm = try await ResumeStorm(run: self, pool: pool, publisher: publisher, client: client, back: back).run(into: result)
            try? await client.shutdown()
            try? await group.shutdownGracefully()
            return storm
        }

        let before = ProcessSample.read(command.pids)
        let clock = ContinuousClock()
        let connectStart = clock.now
        let tokens = try await ViewerTokens.mint(command: command, viewers: scenario.viewers, stream: streamName)
        let (opened, failures) = await pool.open(
            count: scenario.viewers, streams: scenario.streams, rate: scenario.connectRate, url: viewerURL(query: ""),
            sources: sourceAddresses, tokens: tokens)
        result.connected = opened
        result.connectFailures = failures
        result.connectSeconds = (clock.now - connectStart).seconds
        try? await clock.sleep(for: scenario.hold)
        let held = ProcessSample.read(command.pids)
        if let before, let held, opened > 0 { result.bytesPerViewer = Double(held.residentBytes - before.residentBytes) / Double(opened) }

        if scenario.events > 0 {
            let (viewersNow, _) = try await pool.collect()
            var perStream = [Int](repeating: 0, count: scenario.streams)
            for viewer in viewersNow where !viewer.closed { perStream[viewer.stream] += 1 }
            result.expectedDeliveries = (0..<scenario.events).reduce(0) { $0 + perStream[$1 % scenario.streams] }
            let cpuStart = ProcessSample.read(command.pids)
            let published = await publisher.run(events: scenario.events, rate: scenario.eventRate, streams: scenario.streams)
            let drainEnd = clock.now + .seconds(command.drain)
            while pool.totals.deliveries.load(ordering: .relaxed) < result.expectedDeliveries, clock.now < drainEnd {
                try? await clock.sleep(for: .milliseconds(20))
            }
            let cpuEnd = ProcessSample.read(command.pids)
            result.publishFailures = published.failures
            let (viewers, receipts) = try await pool.collect()
            result.record(receipts: receipts, sentAt: published.sentAt)
            if let path = command.eventLog { try EventLog.write(to: path, receipts: receipts, sentAt: published.sentAt) }
            result.record(viewers: viewers)
            if let cpuStart, let cpuEnd, result.deliveries > 0 {
                result.cpuMicrosecondsPerDelivery = (cpuEnd.cpuSeconds - cpuStart.cpuSeconds) * 1e6 / Double(result.deliveries)
            }
        } else {
            let (viewers, _) = try await pool.collect()
            result.record(viewers: viewers)
        }
        try? await client.shutdown()
        try? await group.shutdownGracefully()
        return result
    }

    /// Where viewer `stream` connects (host, port, path and `query`), from `--ws-url`.
    func viewerURL(query: String) -> (Int) -> (host: String, port: Int, path: String) {
        let wsURL = command.wsURL
        return { stream in
            let url = URL(string: wsURL.replacingOccurrences(of: "{stream}", with: streamName(stream)))!
            return (url.host ?? "127.0.0.1", url.port ?? 80, url.path + query)
        }
    }

    var sourceAddresses: [String] { (0..<command.sourceAddresses).map { "127.0.0.\($0 + 2)" } }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
