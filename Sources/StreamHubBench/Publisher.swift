import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import Synchronization

/// Publishes events at a fixed rate over HTTP, without waiting for one answer before the next send.
struct Publisher: Sendable {
    let client: HTTPClient
    let url: @Sendable (Int) -> String
    let body: @Sendable (Int, Int) -> String
    let token: String?

    struct Result: Sendable {
        /// Monotonic send time of each event, by sequence number.
        var sentAt: [UInt64]
        /// Stream of each event.
        var streams: [Int]
        var failures: [String]
    }

    /// Sends `events` events at `rate` per second; event `seq` goes to stream `seq % streams`.
    func run(events: Int, rate: Double, streams: Int) async -> Result {
        let log = PublishLog(events: events)
        let clock = ContinuousClock()
        let start = clock.now
        await withTaskGroup(of: Void.self) { tasks in
            for seq in 0..<events {
                try? await clock.sleep(until: start + .seconds(Double(seq) / rate))
                let request = self.request(seq: seq, stream: seq % streams)
                log.sentAt.withLock { $0[seq] = MonotonicClock.nanoseconds() }
                tasks.addTask {
                    do {
                        let response = try await client.execute(request, timeout: .seconds(10))
                        _ = try? await response.body.collect(upTo: 1 << 16)
                        if !(200..<300).contains(response.status.code) {
                            log.failures.withLock { $0.append("status \(response.status.code)") }
                        }
                    } catch {
                        log.failures.withLock { $0.append("\(error)") }
                    }
                }
            }
        }
        return Result(sentAt: log.sentAt.withLock { $0 }, streams: (0..<events).map { $0 % streams }, failures: log.failures.withLock { $0 })
    }

    private func request(seq: Int, stream: Int) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url(stream))
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        request.body = .bytes(ByteBuffer(string: body(seq, stream)))
        return request
    }
}

/// Send times and failures, written from the publishing tasks.
private final class PublishLog: Sendable {
    let sentAt: Mutex<[UInt64]>
    let failures = Mutex<[String]>([])

    init(events: Int) {
        sentAt = Mutex([UInt64](repeating: 0, count: events))
    }
}
