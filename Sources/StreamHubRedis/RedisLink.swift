import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// A lasting link to Redis: a command connection and a subscriber connection, brought back with
/// exponential backoff and full jitter whenever either drops, resubscribing by itself.
public final class RedisLink: Service {
    public struct Configuration: Sendable {
        public var url: RedisURL
        /// Channels the subscriber connection listens to.
        public var channels: [String]
        /// Time a connect or a reply may take.
        public var timeout: Duration
        /// First backoff ceiling; it doubles per failed attempt up to ``backoffMax``.
        public var backoffBase: Duration
        public var backoffMax: Duration

        public init(
            url: RedisURL,
            channels: [String],
            timeout: Duration = .seconds(2),
            backoffBase: Duration = .milliseconds(100),
            backoffMax: Duration = .seconds(5)
        ) {
            self.url = url
            self.channels = channels
            self.timeout = timeout
            self.backoffBase = backoffBase
            self.backoffMax = backoffMax
        }
    }

    public let configuration: Configuration
    private let group: any EventLoopGroup
    private let logger: Logger
    private let onMessage: @Sendable (String, [UInt8]) -> Void
    private let onLinkChange: @Sendable (Bool) -> Void
    private let onReconnect: @Sendable () -> Void
    private let farewell: (@Sendable (RedisConnection) -> EventLoopFuture<Void>)?
    private let commands = Mutex<RedisConnection?>(nil)
    private let reconnectCount = Atomic<Int>(0)

    /// - Parameters:
    ///   - configuration: Where Redis is, what to subscribe to, timings.
    ///   - group: Loops for the two connections.
    ///   - logger: Logs the link going up and down at info and warning.
    ///   - onMessage: Each published message's channel and payload, on an event loop; must not block.
    ///   - onLinkChange: `true` when the link is up (subscribed), `false` when it drops.
    ///   - onReconnect: Called before each attempt to reconnect.
    ///   - farewell: On graceful shutdown, commands to send on the command connection before it closes.
    public init(
        configuration: Configuration,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger,
        onMessage: @escaping @Sendable (String, [UInt8]) -> Void,
        onLinkChange: @escaping @Sendable (Bool) -> Void = { _ in },
        onReconnect: @escaping @Sendable () -> Void = {},
        farewell: (@Sendable (RedisConnection) -> EventLoopFuture<Void>)? = nil
    ) {
        self.configuration = configuration
        self.group = group
        self.logger = logger
        self.onMessage = onMessage
        self.onLinkChange = onLinkChange
        self.onReconnect = onReconnect
        self.farewell = farewell
    }

    /// Whether both connections are up and subscribed.
    public var isUp: Bool { commands.withLock { $0?.isOpen ?? false } }

    /// Reconnections after the link was lost or a connect failed.
    public var reconnects: Int { reconnectCount.load(ordering: .relaxed) }

    /// Sends a command on the command connection; ``RedisError/connectionClosed`` while the link is down.
    @discardableResult
    public func send(_ command: RedisCommand) async throws -> RESPValue {
        try await submit(command).get()
    }

    /// Sends a command; the future completes on an event loop, in the order commands were submitted.
    public func submit(_ command: RedisCommand) -> EventLoopFuture<RESPValue> {
        guard let connection = commands.withLock({ $0 }), connection.isOpen else {
            return group.any().makeFailedFuture(RedisError.connectionClosed)
        }
        return connection.submit(command)
    }

    public func run() async {
        var failures = 0
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                let (connection, subscriber) = try await connect()
                failures = 0
                commands.withLock { $0 = connection }
                logger.info("Redis up", metadata: ["redis.url": "\(configuration.url)"])
                onLinkChange(true)
                let eitherClosed = connection.channel.eventLoop.makePromise(of: Void.self)
                connection.closeFuture.cascade(to: eitherClosed)
                subscriber.closeFuture.cascade(to: eitherClosed)
                // A future cannot be cancelled: on shutdown, closing the connections completes it.
                await withGracefulShutdownHandler {
                    try? await eitherClosed.futureResult.get()
                } onGracefulShutdown: { [farewell] in
                    let sent = farewell?(connection) ?? connection.channel.eventLoop.makeSucceededVoidFuture()
                    sent.whenComplete { _ in
                        connection.channel.close(promise: nil)
                        subscriber.channel.close(promise: nil)
                    }
                }
                commands.withLock { $0 = nil }
                await connection.close()
                await subscriber.close()
                onLinkChange(false)
                if Task.isShuttingDownGracefully || Task.isCancelled { return }
                logger.warning("Redis down; reconnecting", metadata: ["redis.url": "\(configuration.url)"])
            } catch {
                failures += 1
                if case RedisError.server(let message) = error, Self.isAuthenticationError(message) {
                    logger.error(
                        "Redis refused the credentials of the Redis URL; retrying with backoff",
                        metadata: ["redis.url": "\(configuration.url)", "error": "\(error)"])
                } else if failures == 1 {
                    logger.warning("Cannot reach Redis; retrying with backoff", metadata: ["redis.url": "\(configuration.url)", "error": "\(error)"])
                } else {
                    logger.debug("Redis still unreachable", metadata: ["attempts": "\(failures)", "error": "\(error)"])
                }
            }
            reconnectCount.add(1, ordering: .relaxed)
            onReconnect()
            let ceiling = min(configuration.backoffMax, configuration.backoffBase * (1 << min(failures, 20)))
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: ceiling * Double.random(in: 0...1)) }
        }
    }

    /// `WRONGPASS ...`, `NOAUTH ...` and older servers' `ERR invalid password`.
    static func isAuthenticationError(_ message: String) -> Bool {
        message.hasPrefix("WRONGPASS") || message.hasPrefix("NOAUTH") || message.contains("invalid password")
            || message.contains("AUTH <password> called without any password configured")
    }

    private func connect() async throws -> (RedisConnection, RedisConnection) {
        let connection = try await RedisConnection.connect(to: configuration.url, group: group, timeout: configuration.timeout)
        do {
            let subscriber = try await RedisConnection.connect(to: configuration.url, group: group, timeout: configuration.timeout)
            do {
                try await subscriber.subscribe(to: configuration.channels, onMessage: onMessage)
                return (connection, subscriber)
            } catch {
                await subscriber.close()
                throw error
            }
        } catch {
            await connection.close()
            throw error
        }
    }
}
