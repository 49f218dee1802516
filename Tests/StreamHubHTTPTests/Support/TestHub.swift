import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import NIOCore
import ServiceLifecycle
import StreamHubCore
import StreamHubHTTP
import StreamHubTestSupport
import Synchronization

/// A real hub listening on a free loopback port for the duration of `body`.
struct TestHub: Sendable {
    static let token = "test-token"

    let port: Int
    /// The `--metrics-port` listener, when configured.
    let metricsPort: Int?
    let hub: Hub
    let observer: RecordingObserver
    let metrics: HubMetrics
    /// What the main port's router serves, as `GET /path`.
    let routes: [String]

    /// The settings tests start from: loopback, a free port, a known token, a short grace, and the
    /// socket writes `STREAMHUB_TEST_SOCKET_WRITES` names (`direct`, the default, or `channel`;
    /// `.ci/run` runs the viewer tests in both).
    static func configuration(_ edit: (inout StreamHubConfiguration) -> Void = { _ in }) -> StreamHubConfiguration {
        var configuration = StreamHubConfiguration(host: "127.0.0.1", port: 0, publishTokens: [token])
        configuration.shutdownGrace = .seconds(2)
        configuration.hub.socketWrites = ProcessInfo.processInfo.environment["STREAMHUB_TEST_SOCKET_WRITES"].flatMap(SocketWrites.init) ?? .direct
        edit(&configuration)
        return configuration
    }

    /// Starts a hub, runs `body`, then shuts the hub down gracefully.
    static func run<T: Sendable>(
        _ configuration: StreamHubConfiguration = configuration(),
        _ body: @Sendable (TestHub) async throws -> T
    ) async throws -> T {
        let observer = RecordingObserver()
        let (ports, portContinuation) = AsyncStream.makeStream(of: (StreamHubServer.Listener, Int).self)
        var logger = Logger(label: "test-hub")
        logger.logLevel = .warning
        let server = StreamHubServer(configuration: configuration, logger: logger, observer: observer) { listener, port in
            portContinuation.yield((listener, port))
        }
        let group = ServiceGroup(services: server.services, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                // A hub that fails to start ends the wait for its ports instead of hanging the test.
                defer { portContinuation.finish() }
                try await group.run()
            }
            var bound: [StreamHubServer.Listener: Int] = [:]
            for await (listener, port) in ports {
                bound[listener] = port
                if bound.count == (configuration.metricsPort == nil ? 1 : 2) { break }
            }
            guard let port = bound[.main] else { throw TestFailure("hub did not start") }
            let hub = TestHub(
                port: port, metricsPort: bound[.metrics], hub: server.hub, observer: observer, metrics: server.metrics,
                routes: server.routes)
            // A body that throws still shuts the hub down gracefully: cancelling it instead would
            // leave services that await their connections hanging.
            let result: Result<T, any Error>
            do {
                result = .success(try await body(hub))
            } catch {
                result = .failure(error)
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return try result.get()
        }
    }

    func join(_ stream: String, _ options: TestViewer.Options = .init()) async throws -> TestViewer {
        try await TestViewer.join(port: port, stream: stream, options: options)
    }

    /// Sends one HTTP request; `token: nil` sends no `Authorization`.
    func request(
        _ method: HTTPRequest.Method,
        _ path: String,
        body: String? = nil,
        token: String? = TestHub.token
    ) async throws -> HTTPAnswer {
        try await HubClient(port: port).request(method, path, body: body, token: token)
    }

    /// A GET without a token.
    func get(_ path: String) async throws -> HTTPAnswer {
        try await request(.get, path, token: nil)
    }

    /// Publishes an event and expects `202`.
    @discardableResult
    func publish(_ stream: String, _ event: String, data: String = "{}") async throws -> HTTPAnswer {
        let answer = try await request(.post, "/api/v1/streams/\(stream)/events", body: #"{"event":"\#(event)","data":\#(data)}"#)
        guard answer.status == 202 else { throw TestFailure("publish answered \(answer.status): \(answer.body)") }
        return answer
    }
}

/// Plain HTTP/1.1 requests to a hub on loopback.
struct HubClient: Sendable {
    let port: Int

    func request(
        _ method: HTTPRequest.Method, _ path: String, body: String? = nil, token: String? = nil, headers extra: HTTPFields = [:]
    ) async throws -> HTTPAnswer {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        let request = TestClient.Request(
            path, method: method, authority: "127.0.0.1:\(port)", headers: headers, body: body.map { ByteBuffer(string: $0) })
        let response = try await withTimeout(.seconds(15), "\(method) \(path)") { [port] in
            try await TestClient.withClient(host: "127.0.0.1", port: port) { client in try await client.execute(request) }
        }
        return HTTPAnswer(status: response.status.code, headers: response.headers, body: response.body.map { String(buffer: $0) } ?? "")
    }

    func get(_ path: String) async throws -> HTTPAnswer { try await request(.get, path) }
}

/// An HTTP answer with its JSON body decoded on demand.
struct HTTPAnswer: Sendable {
    let status: Int
    let headers: HTTPFields
    let body: String

    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]) ?? [:]
    }
}

/// Counts what the hub reports, so tests can check why connections ended.
final class RecordingObserver: HubObserver {
    private let state = Mutex(Counts())

    struct Counts {
        var opened = 0
        var closed: [ViewerCloseCause: Int] = [:]
        var rejected: [ViewerRejection: Int] = [:]
        var roundTrips: [Duration] = []
        var broadcasts: [(event: String, deliveries: Int)] = []
        var resumes: (recovered: Int, missed: Int) = (0, 0)
    }

    var counts: Counts { state.withLock { $0 } }

    func viewerOpened() { state.withLock { $0.opened += 1 } }
    func viewerClosed(cause: ViewerCloseCause) { state.withLock { $0.closed[cause, default: 0] += 1 } }
    func viewerRejected(_ rejection: ViewerRejection) { state.withLock { $0.rejected[rejection, default: 0] += 1 } }
    func viewerResumed(recovered: Bool) {
        state.withLock { state in
            if recovered { state.resumes.recovered += 1 } else { state.resumes.missed += 1 }
        }
    }
    func heartbeatAnswered(roundTrip: Duration) { state.withLock { $0.roundTrips.append(roundTrip) } }
    func broadcastCompleted(event: String, deliveries: Int, latency: Duration) {
        state.withLock { $0.broadcasts.append((event, deliveries)) }
    }
}
