import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import StreamHubCore

/// Delivers alert notifications to webhooks as Alertmanager payloads, off every hot path.
///
/// Each webhook has its own bounded queue and delivery loop, so one that hangs delays only its own
/// notifications. A failed POST is retried with exponential backoff and full jitter; a `4xx` other
/// than `408` and `429` is final. It runs until graceful shutdown reaches it, after the drain, so
/// alerts raised while draining still go out. POSTs go through AsyncHTTPClient on SwiftNIO
/// (Foundation's `URLSession` on Linux can crash when a request in flight is cancelled).
public final class WebhookNotifier: AlertSink, Service {
    public struct Configuration: Sendable {
        public var urls: [URL]
        /// Signs each POST with `X-StreamHub-Signature` when set.
        public var secret: String?
        /// Time one attempt may take.
        public var timeout: Duration
        /// Attempts per notification and webhook, the first included.
        public var maxAttempts: Int
        /// Backoff before the second attempt; doubles each time, then a random share of it is waited.
        public var retryBase: Duration
        /// Notifications waiting per webhook; past it the oldest are dropped and counted as failed.
        public var queueLimit: Int

        public init(
            urls: [URL],
            secret: String? = nil,
            timeout: Duration = .seconds(5),
            maxAttempts: Int = 5,
            retryBase: Duration = .seconds(1),
            queueLimit: Int = 100
        ) {
            self.urls = urls
            self.secret = secret
            self.timeout = timeout
            self.maxAttempts = maxAttempts
            self.retryBase = retryBase
            self.queueLimit = queueLimit
        }
    }

    private struct Queue {
        let url: URL
        let stream: AsyncStream<AlertNotification>
        let continuation: AsyncStream<AlertNotification>.Continuation
    }

    public let configuration: Configuration
    private let queues: [Queue]
    private let client: HTTPClient
    private let metrics: HubMetrics
    private let logger: Logger

    public init(configuration: Configuration, metrics: HubMetrics, logger: Logger) {
        self.configuration = configuration
        self.queues = configuration.urls.map { url in
            let (stream, continuation) = AsyncStream.makeStream(
                of: AlertNotification.self,
                bufferingPolicy: .bufferingNewest(configuration.queueLimit)
            )
            return Queue(url: url, stream: stream, continuation: continuation)
        }
        var clientConfiguration = HTTPClient.Configuration(timeout: .init(connect: TimeAmount(configuration.timeout)))
        clientConfiguration.redirectConfiguration = .disallow
        clientConfiguration.connectionPool.retryConnectionEstablishment = false  // Retries are ours, with backoff.
        self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
        self.metrics = metrics
        self.logger = logger
    }

    public func send(_ notification: AlertNotification) {
        for queue in queues {
            if case .dropped(let oldest) = queue.continuation.yield(notification) {
                metrics.recordNotification(oldest.status, delivered: false)
                logger.warning("Alert queue full; dropped the oldest notification", metadata: ["webhook": "\(Self.redacted(queue.url))"])
            }
        }
    }

    public func run() async {
        guard !queues.isEmpty else {
            try? await gracefulShutdown()  // Nothing to deliver to, but a service that returns ends the group.
            try? await client.shutdown()
            return
        }
        await withDiscardingTaskGroup { group in
            for queue in queues {
                group.addTask {
                    // On shutdown, a delivery in flight (a hanging receiver, a backoff) is abandoned.
                    await cancelWhenGracefulShutdown {
                        for await notification in queue.stream {
                            let delivered = await self.deliver(notification, to: queue.url)
                            self.metrics.recordNotification(notification.status, delivered: delivered)
                        }
                    }
                }
            }
        }
        for queue in queues { queue.continuation.finish() }
        try? await client.shutdown()
    }

    /// POSTs one notification, retrying as configured; whether a webhook took it.
    func deliver(_ notification: AlertNotification, to url: URL) async -> Bool {
        let body = Data(notification.alertmanagerPayload)
        for attempt in 1...max(1, configuration.maxAttempts) {
            var request = HTTPClientRequest(url: url.absoluteString)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "User-Agent", value: "StreamHub/\(StreamHubVersion.current)")
            if let secret = configuration.secret {
                request.headers.add(name: "X-StreamHub-Signature", value: Self.signature(body: body, secret: secret, at: Date()))
            }
            request.body = .bytes(ByteBuffer(bytes: body))
            let outcome: String
            do {
                let response = try await client.execute(request, timeout: TimeAmount(configuration.timeout))
                _ = try? await response.body.collect(upTo: 64 * 1024)
                let status = Int(response.status.code)
                if (200..<300).contains(status) { return true }
                outcome = "status \(status)"
                if (400..<500).contains(status), status != 408, status != 429 {
                    logger.warning(
                        "Webhook refused an alert; not retrying",
                        metadata: ["webhook": "\(Self.redacted(url))", "http.status": "\(status)", "alert": "\(notification.check.alertName)"]
                    )
                    return false
                }
            } catch {
                outcome = "\(error)"
            }
            guard attempt < configuration.maxAttempts, !Task.isCancelled else {
                logger.warning(
                    "Webhook delivery failed",
                    metadata: ["webhook": "\(Self.redacted(url))", "attempts": "\(attempt)", "last.error": "\(outcome)"]
                )
                return false
            }
            let ceiling = configuration.retryBase * (1 << min(attempt - 1, 16))
            try? await Task.sleep(for: ceiling * Double.random(in: 0...1))
        }
        return false
    }

    /// `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
    public static func signature(body: Data, secret: String, at date: Date) -> String {
        let timestamp = String(Int(date.timeIntervalSince1970))
        var message = Data(timestamp.utf8)
        message.append(UInt8(ascii: "."))
        message.append(body)
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(secret.utf8)))
        return "t=\(timestamp),v1=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    /// The URL without credentials or query, for logs.
    public static func redacted(_ url: URL) -> String {
        "\(url.scheme ?? "http")://\(url.host ?? "")\(url.port.map { ":\($0)" } ?? "")\(url.path)"
    }
}
