import NIOCore
import NIOEmbedded
import Testing

@testable import StreamHubCore

/// A socket can fail in the middle of a write (the peer reset it): the channel then closes while the
/// viewer's write is still on the stack, and the viewer must leave cleanly from inside its own write.
@Suite struct ViewerWriteFailureTests {
    let stream = StreamID("s")!

    @Test(arguments: [SocketWrites.direct, .channel])
    func aViewerWhoseSocketFailsDuringAWriteLeavesAndTheOthersGetTheEvent(mode: SocketWrites) throws {
        var configuration = HubConfiguration()
        configuration.socketWrites = mode
        let viewers = EmbeddedViewers(configuration: configuration)
        try viewers.addViewers(1, of: stream, below: { try $0.pipeline.syncOperations.addHandler(CloseOnFlush()) })
        try viewers.addViewers(1, of: stream)
        viewers.loop.run()
        for channel in viewers.channels { _ = viewers.frames(of: channel) }
        try viewers.publish(#"{"event":"stream_started"}"#, to: stream)
        viewers.loop.run()
        #expect(!viewers.channels[0].isActive)
        #expect(viewers.messageIDs(of: viewers.channels[1]) == ["1"])
        #expect(viewers.hub.viewerCounts().first { $0.0 == stream }?.1 == 1)
    }

    /// An outbound handler whose flush fails the way a reset socket's does: it closes the channel.
    final class CloseOnFlush: ChannelOutboundHandler {
        typealias OutboundIn = ByteBuffer
        private var armed = false

        func flush(context: ChannelHandlerContext) {
            // The stream_state at the join goes through; the first broadcast fails.
            guard armed else {
                armed = true
                return context.flush()
            }
            context.close(promise: nil)
        }
    }
}
