import AsyncHTTPClient
import Foundation
import Histogram
import NIOCore
import Synchronization

/// The `resume-storm` scenario: a stream's events are published, then every viewer connects with
/// `?since=<latest − back>&epoch=<epoch>` and is timed from its upgrade to its last replayed event.
struct ResumeStorm {
    let run: BenchRun
    let pool: ViewerPool
    let publisher: Publisher
    let client: HTTPClient
    let back: Int

    func run(into result: BenchResult) async throws -> BenchResult {
        var result = result
        let scenario = run.scenario
        let published = await publisher.run(events: scenario.events, rate: scenario.eventRate, streams: 1)
        result.publishFailures = published.failures
        let (latest, epoch) = try await streamState()
        let since = max(0, latest - back)
        let clock = ContinuousClock()
        let connectStart = clock.now
        let (opened, failures) = await pool.open(
            count: scenario.viewers, streams: 1, rate: scenario.connectRate, url: run.viewerURL(query: "?since=\(since)&epoch=\(epoch)"),
            sources: run.sourceAddresses)
        result.connected = opened
        result.connectFailures = failures
        result.connectSeconds = (clock.now - connectStart).seconds
        result.expectedDeliveries = opened * (latest - since)
        let drainEnd = clock.now + .seconds(run.command.drain)
        while pool.totals.deliveries.load(ordering: .relaxed) < result.expectedDeliveries, clock.now < drainEnd {
            try? await clock.sleep(for: .milliseconds(20))
        }
        let (viewers, receipts) = try await pool.collect()
        result.deliveries = receipts.count
        result.record(viewers: viewers)
        result.resume = ResumeSummary(viewers, replayed: latest - since)
        return result
    }

    /// The stream's latest `id` and `epoch`, from `--state-url`.
    private func streamState() async throws -> (latest: Int, epoch: String) {
        let url = run.command.stateURL.replacingOccurrences(of: "{stream}", with: run.streamName(0))
        let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 16)
        guard let state = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any], let latest = state["id"] as? Int,
            let epoch = state["epoch"] as? String
        else { throw BenchError("\(url) gave no id and epoch") }
        return (latest, epoch)
    }
}

/// How a resume storm went: who was recovered, who got every missed event, and how long the replays took.
struct ResumeSummary {
    let recovered: Int
    /// Viewers that received every replayed event.
    let complete: Int
    /// Seconds from upgrade to the last replayed event.
    let p50: Double
    let p99: Double
    let max: Double

    init(_ viewers: [ViewerSummary], replayed: Int) {
        recovered = viewers.filter { $0.recovered == true }.count
        complete = viewers.filter { $0.deliveries == replayed }.count
        var histogram = Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
        for seconds in viewers.compactMap(\.replaySeconds) { _ = histogram.record(UInt64(seconds * 1e6)) }
        p50 = Double(histogram.valueAtPercentile(50)) / 1e6
        p99 = Double(histogram.valueAtPercentile(99)) / 1e6
        max = Double(histogram.max) / 1e6
    }
}
