import Benchmark
import StreamHubCore

/// Reading one publish as a single node reads it from the connection's bytes: the head
/// (`PlainPublishHead`), the token, the stream id and the body (`PublishRequest`), for the request
/// `streamhub-bench` sends.
///
/// Allocations are gated in CI like the broadcast's (8 today: the target and token strings, the
/// members' arrays); the time is for people, and with warm caches: in a busy hub the same work
/// runs cold and costs several times more.
let benchmarks: @Sendable () -> Void = {
    let allocations = Benchmark.Configuration(
        metrics: [.mallocCountTotal], warmupIterations: 100, maxDuration: .seconds(2), maxIterations: 1_000,
        thresholds: [.mallocCountTotal: .init(absolute: [.p90: 2])]
    )
    let time = Benchmark.Configuration(metrics: [.wallClock], warmupIterations: 100, maxDuration: .seconds(3), maxIterations: 100_000)

    let body = #"{"event":"quality_changed","data":{"seq":1234,"quality":"1080p"}}"#
    let request = Array(
        ("POST /api/v1/streams/bench-385/events HTTP/1.1\r\nHost: 127.0.0.1:18080\r\nUser-Agent: AsyncHTTPClient\r\n"
            + "Authorization: Bearer bench-token\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body).utf8)
    let tokens = PublishTokens(["bench-token"])
    let read = { (benchmark: Benchmark) in
        for _ in benchmark.scaledIterations {
            let publish = request.withUnsafeBytes { bytes -> PublishRequest? in
                guard case .head(let head) = PlainPublishHead.parse(bytes), tokens.accepts(authorization: head.authorization),
                    StreamID(head.target.dropFirst("/api/v1/streams/".count).dropLast("/events".count)) != nil
                else { return nil }
                return try? PublishRequest(body: request[head.headBytes...])
            }
            precondition(publish?.event == .qualityChanged, "the request reads as a publish")
            blackHole(publish)
        }
    }
    Benchmark("allocations-read-a-plain-publish", configuration: allocations, closure: read)
    Benchmark("time-read-a-plain-publish", configuration: time, closure: read)
}
