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
    private let commands = Mutex<RedisConnection?>(nil)
    private let reconnectCount = Atomic<Int>(0)

    /// - Parameters:
    ///   - configuration: Where Redis is, what to subscribe to, timings.
    ///   - group: Loops for the two connections.
    ///   - logger: Logs the link going up and down at info and warning.
    ///   - onMessage: Each published message's channel and payload, on an event loop; must not block.
    ///   - onLinkChange: `true` when the link is up (subscribed), `false` when it drops.
    public init(
        configuration: Configuration,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger,
        onMessage: @escaping @Sendable (String, [UInt8]) -> Void,
        onLinkChange: @escaping @Sendable (Bool) -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.group = group
        self.logger = logger
        self.onMessage = onMessage
        self.onLinkChange = onLinkChange
    }

    /// Whether both connections are up and subscribed.
    public var isUp: Bool { commands.withLock { $0?.isOpen ?? false } }

    /// Reconnections after the link was lost or a connect failed.
    public var reconnects: Int { reconnectCount.load(ordering: .relaxed) }

    /// Sends a command on the command connection; ``RedisError/connectionClosed`` while the link is down.
    @discardableResult
    public func send(_ command: RedisCommand) async throws -> RESPValue {
        guard let connection = commands.withLock({ $0 }), connection.isOpen else { throw RedisError.connectionClosed }
        return try await connection.send(command)
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
                } onGracefulShutdown: {
                    connection.channel.close(promise: nil)
                    subscriber.channel.close(promise: nil)
                }
                commands.withLock { $0 = nil }
                await connection.close()
                await subscriber.close()
                onLinkChange(false)
                if Task.isShuttingDownGracefully || Task.isCancelled { return }
                logger.warning("Redis down; reconnecting", metadata: ["redis.url": "\(configuration.url)"])
            } catch {
                failures += 1
                if failures == 1 {
                    logger.warning("Cannot reach Redis; retrying with backoff", metadata: ["redis.url": "\(configuration.url)", "error": "\(error)"])
                } else {
                    logger.debug("Redis still unreachable", metadata: ["attempts": "\(failures)", "error": "\(error)"])
                }
            }
            reconnectCount.add(1, ordering: .relaxed)
            let ceiling = min(configuration.backoffMax, configuration.backoffBase * (1 << min(failures, 20)))
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: ceiling * Double.random(in: 0...1)) }
        }
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
