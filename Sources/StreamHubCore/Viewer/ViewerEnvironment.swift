import Logging
import NIOCore

/// What a viewer's handler needs of the hub, and nothing more: its timings, the encoder, where it
/// is counted in and out, the logger and the observer. One per hub, shared by every viewer.
final class ViewerEnvironment: Sendable {
    let pingInterval: Duration
    let pongTimeout: Duration
    let writeTimeout: Duration
    let maxQueuedBytes: Int
    let socketWrites: SocketWrites
    let encoder: MessageEncoder
    let logger: Logger
    let observer: any HubObserver
    private let directory: StreamShards
    private let fanouts: [LoopFanout]

    init(
        configuration: HubConfiguration, encoder: MessageEncoder, directory: StreamShards, fanouts: [LoopFanout], logger: Logger,
        observer: any HubObserver
    ) {
        self.pingInterval = configuration.pingInterval
        self.pongTimeout = configuration.pongTimeout
        self.writeTimeout = configuration.writeTimeout
        self.maxQueuedBytes = max(configuration.maxQueuedBytes, 2)
        self.socketWrites = configuration.socketWrites
        self.encoder = encoder
        self.directory = directory
        self.fanouts = fanouts
        self.logger = logger
        self.observer = observer
    }

    /// The fanout of the loop that owns a viewer's channel.
    func fanout(for loop: any EventLoop) -> LoopFanout {
        guard let fanout = fanouts.first(where: { $0.eventLoop === loop }) else {
            preconditionFailure("viewer channel on an event loop outside the hub's group")
        }
        return fanout
    }

    /// Counts a viewer on `fanout`'s loop in: its `stream_state` and what it missed since `resume` (see ``JoinCursor``).
    func join(_ streamID: StreamID, resuming resume: ResumePoint?, on fanout: LoopFanout) -> StreamDirectory.Joined {
        observer.viewerOpened()
        let joined = directory.withStream(streamID) { $0.join(streamID, loop: fanout.index, resume: resume, now: .now(), wallClock: .now()) }
        if resume != nil { observer.viewerResumed(recovered: joined.replay != nil) }
        return joined
    }

    func leave(_ streamID: StreamID, on fanout: LoopFanout, cause: ViewerCloseCause) {
        directory.withStream(streamID) { $0.leave(streamID, loop: fanout.index, now: .now()) }
        observer.viewerClosed(cause: cause)
    }
}
