import NIOCore

/// Matches pipelined commands with their replies, in order.
final class RedisCommandHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = RESPValue
    typealias OutboundIn = (RedisCommand, EventLoopPromise<RESPValue>)
    typealias OutboundOut = RedisCommand

    private var pending = CircularBuffer<EventLoopPromise<RESPValue>>()

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let (command, reply) = unwrapOutboundIn(data)
        pending.append(reply)
        context.write(wrapOutboundOut(command), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let value = unwrapInboundIn(data)
        guard let reply = pending.popFirst() else {
            context.fireErrorCaught(RedisError.protocolViolation("a reply nobody asked for"))
            return
        }
        if case .error(let message) = value {
            reply.fail(RedisError.server(message))
        } else {
            reply.succeed(value)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(error as? RedisError ?? .connectionClosed)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(.connectionClosed)
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        failAll(.connectionClosed)
    }

    private func failAll(_ error: RedisError) {
        while let reply = pending.popFirst() { reply.fail(error) }
    }
}

/// Hands published messages to a callback; the connection is in subscriber mode.
final class RedisSubscriptionHandler: ChannelInboundHandler {
    typealias InboundIn = RESPValue

    private let onMessage: @Sendable (String, [UInt8]) -> Void
    private var awaitingConfirmations: Int
    private let subscribed: EventLoopPromise<Void>

    init(channels: Int, subscribed: EventLoopPromise<Void>, onMessage: @escaping @Sendable (String, [UInt8]) -> Void) {
        self.awaitingConfirmations = channels
        self.subscribed = subscribed
        self.onMessage = onMessage
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let value = unwrapInboundIn(data)
        guard let parts = value.array, let kind = parts.first?.string else {
            if case .error(let message) = value { subscribed.fail(RedisError.server(message)) }
            return
        }
        switch kind {
        case "message" where parts.count == 3:
            if let channel = parts[1].string, let payload = parts[2].bytes { onMessage(channel, payload) }
        case "subscribe":
            awaitingConfirmations -= 1
            if awaitingConfirmations == 0 { subscribed.succeed(()) }
        default:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        subscribed.fail(RedisError.connectionClosed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        subscribed.fail(error)
        context.close(promise: nil)
    }
}
