import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import StreamHubTestSupport
import Synchronization

/// A real HTTP server on loopback that records the webhook POSTs it gets and answers as told.
final class WebhookReceiver: Sendable {
    enum Behaviour: Sendable {
        case accept
        case status(Int)
        /// Holds each request until ``release()``, which every run calls when it ends; after it, answers at once.
        case hang
    }

    struct Received: Sendable {
        let headers: [String: String]
        let body: Data
        let at: Date
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body) as? [String: Any]) ?? [:] }
        var status: String? { json["status"] as? String }
        var alert: [String: Any] { (json["alerts"] as? [[String: Any]])?.first ?? [:] }
        var alertName: String? { (alert["labels"] as? [String: String])?["alertname"] }
    }

    private let state: Mutex<(received: [Received], behaviour: Behaviour)>
    /// Requests held by `.hang`, and whether ``release()`` was called (a request arriving after it must not hang).
    private let held = Mutex<(released: Bool, waiting: [CheckedContinuation<Void, Never>])>((false, []))
    private let boundPort = Atomic<Int>(0)
    var port: Int { boundPort.load(ordering: .relaxed) }

    private init(behaviour: Behaviour) {
        state = Mutex(([], behaviour))
    }

    var url: String { "http://127.0.0.1:\(port)/hook" }
    var received: [Received] { state.withLock { $0.received } }

    func behave(_ behaviour: Behaviour) { state.withLock { $0.behaviour = behaviour } }

    func release() {
        let waiting = held.withLock { held in
            held.released = true
            defer { held.waiting = [] }
            return held.waiting
        }
        for continuation in waiting { continuation.resume() }
    }

    func waitFor(_ what: String, timeout: Duration = .seconds(10), _ condition: @escaping ([Received]) -> Bool) async throws -> [Received] {
        try await eventually(timeout: timeout, what) {
            let received = self.received
            return condition(received) ? received : nil
        }
    }

    static func run<T: Sendable>(_ behaviour: Behaviour = .accept, _ body: @Sendable (WebhookReceiver) async throws -> T) async throws -> T {
        let receiver = WebhookReceiver(behaviour: behaviour)
        let router = Router()
        router.post("/hook") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let behaviour = receiver.state.withLock { state in
                state.received.append(Received(headers: headers, body: Data(buffer: body), at: Date()))
                return state.behaviour
            }
            switch behaviour {
            case .accept: return Response(status: .ok)
            case .status(let code): return Response(status: .init(code: code))
            case .hang:
                await withCheckedContinuation { continuation in
                    let hold = receiver.held.withLock { held in
                        if !held.released { held.waiting.append(continuation) }
                        return !held.released
                    }
                    if !hold { continuation.resume() }
                }
                return Response(status: .ok)
            }
        }
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "webhook-receiver")
        logger.logLevel = .critical
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) },
            logger: logger
        )
        let group = ServiceGroup(services: [app], logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            receiver.boundPort.store(await iterator.next() ?? 0, ordering: .relaxed)
            defer { receiver.release() }
            let result = try await body(receiver)
            receiver.release()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return result
        }
    }
}
