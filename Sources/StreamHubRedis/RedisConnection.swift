import NIOCore
import NIOPosix
import NIOSSL

/// One connection to Redis: commands pipelined in order, each with a timeout, or (after
/// ``subscribe(to:onMessage:)``) a subscriber receiving published messages.
public final class RedisConnection: Sendable {
    public let channel: any Channel
    /// Time a reply may take; a command that times out closes the connection.
    public let timeout: Duration

    private init(channel: any Channel, timeout: Duration) {
        self.channel = channel
        self.timeout = timeout
    }

    /// Connects, then sends AUTH and SELECT as the URL asks.
    public static func connect(
        to url: RedisURL,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        timeout: Duration = .seconds(2)
    ) async throws -> RedisConnection {
        let tls: NIOSSLContext? = url.useTLS ? try NIOSSLContext(configuration: .makeClientConfiguration()) : nil
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(TimeAmount(timeout))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: url.host))
                    }
                    try channel.pipeline.syncOperations.addHandlers([
                        ByteToMessageHandler(RESPDecoder()), MessageToByteHandler(RESPEncoder()), RedisCommandHandler(),
                    ])
                }
            }
            .connect(host: url.host, port: url.port).get()
        let connection = RedisConnection(channel: channel, timeout: timeout)
        do {
            if let password = url.password {
                _ = try await connection.send(RedisCommand("AUTH", (url.user.map { [$0] } ?? []) + [password]))
            }
            if url.database != 0 { _ = try await connection.send(RedisCommand("SELECT", [String(url.database)])) }
        } catch {
            await connection.close()
            throw error
        }
        return connection
    }

    public var isOpen: Bool { channel.isActive }

    /// Completes when the connection closes, for whatever reason.
    public var closeFuture: EventLoopFuture<Void> { channel.closeFuture }

    /// Sends one command; its reply, or ``RedisError/server(_:)`` for an error reply.
    @discardableResult
    public func send(_ command: RedisCommand) async throws -> RESPValue {
        try await submit(command).get()
    }

    /// Sends one command; the future completes on the connection's event loop, in the order commands were submitted.
    public func submit(_ command: RedisCommand) -> EventLoopFuture<RESPValue> {
        let reply = channel.eventLoop.makePromise(of: RESPValue.self)
        let channel = self.channel
        let timer = channel.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
            reply.fail(RedisError.timeout)
            channel.close(promise: nil)
        }
        reply.futureResult.whenComplete { _ in timer.cancel() }
        channel.writeAndFlush((command, reply)).whenFailure { reply.fail($0) }
        return reply.futureResult
    }

    /// Turns the connection into a subscriber of `channels`; `onMessage` gets each message's channel and payload on the event loop.
    public func subscribe(to channels: [String], onMessage: @escaping @Sendable (String, [UInt8]) -> Void) async throws {
        let subscribed = channel.eventLoop.makePromise(of: Void.self)
        let channel = self.channel
        try await channel.eventLoop.flatSubmit {
            do {
                let pipeline = channel.pipeline.syncOperations
                let commands = try pipeline.context(handlerType: RedisCommandHandler.self)
                pipeline.removeHandler(context: commands, promise: nil)
                try pipeline.addHandler(RedisSubscriptionHandler(channels: channels.count, subscribed: subscribed, onMessage: onMessage))
                return channel.writeAndFlush(RedisCommand("SUBSCRIBE", channels))
            } catch {
                return channel.eventLoop.makeFailedFuture(error)
            }
        }.get()
        let timer = channel.eventLoop.scheduleTask(in: TimeAmount(timeout)) { subscribed.fail(RedisError.timeout) }
        subscribed.futureResult.whenComplete { _ in timer.cancel() }
        try await subscribed.futureResult.get()
    }

    public func close() async {
        try? await channel.close()
    }
}
