import NIOCore

/// Tells whether a viewer's writes reach its socket untouched: whether no handler (such as TLS)
/// stands between the viewer's handler and the channel's head.
///
/// It is placed first in the pipeline for one synchronous moment while the viewer writes an empty
/// buffer through its context: the buffer arrives here, at once and unchanged, only if every handler
/// in between passes writes straight on. It is never forwarded; an empty write costs a handler that
/// holds it (TLS before a flush) nothing on the wire.
final class DirectWriteProbe: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = ByteBuffer
    private var arrived = false

    /// Whether writes from `context` reach the channel's head unchanged; call on the channel's loop.
    static func pipelineIsBare(below context: ChannelHandlerContext) -> Bool {
        let probe = DirectWriteProbe()
        let pipeline = context.pipeline.syncOperations
        guard (try? pipeline.addHandler(probe, position: .first)) != nil else { return false }
        context.write(NIOAny(context.channel.allocator.buffer(capacity: 0)), promise: nil)
        if let probeContext = try? pipeline.context(handler: probe) { pipeline.removeHandler(context: probeContext, promise: nil) }
        return probe.arrived
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        arrived = unwrapOutboundIn(data).readableBytes == 0
        promise?.succeed()
    }
}
