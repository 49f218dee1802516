import NIOCore

/// A viewer's outbound path, on its channel's event loop.
///
/// With ``SocketWrites/direct`` and a bare pipeline, frames go straight to the socket
/// (``ViewerSocket``) while the channel's queue is empty; what the socket does not take goes to the
/// channel's own write path (NIO's `_channelCore`, as the pipeline's head handler does), and the
/// writer stays on that path until the queue is seen empty again, so bytes keep their order and the
/// queue's limits apply. Otherwise every frame goes through the pipeline, with NIO's public API.
///
/// A class, not a struct: a write can fail and close the channel before it returns, and the
/// handler then lets go of its writer from inside that write.
final class ViewerWriter {
    private enum Path {
        case direct(ViewerSocket, core: any ChannelCore)
        case pipeline
    }

    private let path: Path
    private let context: ChannelHandlerContext
    private let channel: any Channel
    /// Set when bytes were handed to the channel, until its queue is seen empty.
    private var channelMayHoldBytes = false
    /// Every byte handed to this viewer, for the ``StallWatch``.
    private(set) var written = 0

    /// - Parameter mode: ``SocketWrites/direct`` is taken only when the channel is a SwiftNIO TCP
    ///   socket and nothing stands between the viewer's handler and it (see ``DirectWriteProbe``).
    init(context: ChannelHandlerContext, mode: SocketWrites) {
        self.context = context
        self.channel = context.channel
        if mode == .direct, DirectWriteProbe.pipelineIsBare(below: context), let socket = ViewerSocket(of: context.channel) {
            path = .direct(socket, core: context.channel._channelCore)
        } else {
            path = .pipeline
        }
    }

    /// Whether frames go straight to the socket.
    var writesDirectly: Bool {
        if case .direct = path { true } else { false }
    }

    /// Bytes queued in the channel, not yet taken by the socket.
    var queuedBytes: Int {
        (try? channel.syncOptions?.getOption(.bufferedWritableBytes)) ?? 0
    }

    /// Sends `frames` now, in one system call where it can; `true` when some wait in the channel's queue.
    func send(_ frames: some Collection<ByteBuffer>) -> Bool {
        for frame in frames { written += frame.readableBytes }
        guard case .direct(let socket, let core) = path else {
            for frame in frames { context.write(NIOAny(frame), promise: nil) }
            context.flush()
            return queuedBytes > 0
        }
        var sent = 0
        // The channel owns the descriptor: once it is closed, the number may belong to another file.
        if channel.isActive, !channelHoldsBytes() { sent = socket.send(frames) }
        var handedToChannel = false
        for var frame in frames {
            if sent >= frame.readableBytes {
                sent -= frame.readableBytes
                continue
            }
            frame.moveReaderIndex(forwardBy: sent)
            sent = 0
            core.write0(NIOAny(frame), promise: nil)
            handedToChannel = true
        }
        guard handedToChannel else { return false }
        channelMayHoldBytes = true
        core.flush0()
        return queuedBytes > 0
    }

    private func channelHoldsBytes() -> Bool {
        guard channelMayHoldBytes else { return false }
        channelMayHoldBytes = queuedBytes > 0
        return channelMayHoldBytes
    }
}
