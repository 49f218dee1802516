import NIOCore
import NIOHTTP1

/// Marks every request that does not keep its connection alive with exactly `Connection: close`.
///
/// HTTP/1 keep-alive depends on the version (1.0 closes unless it asks for `keep-alive`) and on
/// token lists (`Connection: keep-alive, close`). The HTTP types after this handler have no version,
/// and both Hummingbird and ``DirectPublishHandler`` look for `close` alone, so the rule is applied
/// once here, with NIO's own `isKeepAlive`.
final class KeepAliveNormalizer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var head) = unwrapInboundIn(data), !head.isKeepAlive else {
            return context.fireChannelRead(data)
        }
        head.headers.replaceOrAdd(name: "connection", value: "close")
        context.fireChannelRead(wrapInboundOut(.head(head)))
    }
}
