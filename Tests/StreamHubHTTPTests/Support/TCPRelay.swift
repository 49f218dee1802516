import NIOCore
import NIOPosix
import StreamHubTestSupport
import Synchronization

/// A TCP relay on loopback in front of a hub, to cut a browser off as a network would: ``cut()``
/// drops every relayed connection and refuses new ones until ``restore()``.
final class TCPRelay: Sendable {
    let port: Int
    private let server: any Channel
    private let connections = Connections()

    init(to targetPort: Int) async throws {
        let connections = self.connections
        server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { inbound in
                if connections.state.withLock({ $0.cut }) { return inbound.close() }
                // Nothing is read from the browser until the hub's side is connected.
                return inbound.setOption(.autoRead, value: false).flatMap {
                    ClientBootstrap(group: inbound.eventLoop)
                        .channelInitializer { outbound in
                            outbound.pipeline.addHandler(Glue(peer: inbound))
                        }
                        .connect(host: "127.0.0.1", port: targetPort)
                        .flatMap { outbound in
                            connections.state.withLock { $0.open += [inbound, outbound] }
                            return inbound.pipeline.addHandler(Glue(peer: outbound)).flatMap { inbound.setOption(.autoRead, value: true) }
                        }
                }
                .flatMapErrorThrowing { _ in inbound.close(promise: nil) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        port = server.localAddress?.port ?? 0
    }

    /// Drops every relayed connection and refuses new ones.
    func cut() {
        let open = connections.state.withLock { state in
            state.cut = true
            defer { state.open = [] }
            return state.open
        }
        for channel in open { channel.close(promise: nil) }
    }

    /// Relays new connections again.
    func restore() {
        connections.state.withLock { $0.cut = false }
    }

    func stop() async {
        cut()
        try? await server.close()
    }

    /// Whether the relay is cut, and the connections it relays (both sides of each).
    private final class Connections: Sendable {
        let state = Mutex<(cut: Bool, open: [any Channel])>((false, []))
    }

    /// Writes what one side reads to the other, and closes the other when one closes.
    private final class Glue: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let peer: any Channel

        init(peer: any Channel) { self.peer = peer }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            peer.writeAndFlush(unwrapInboundIn(data), promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            peer.close(promise: nil)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}
