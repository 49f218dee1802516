import Logging
import NIOCore
import Synchronization

/// The hub's reads of the broker's store, merged into this node's stream state as they complete.
///
/// Shared: however many viewers join or resume a stream at one moment, the store is read once for
/// each ``StateRead`` purpose. Not at all on a single node or while the store is unreachable.
final class StoreReads: Sendable {
    private struct Key: Hashable {
        let streamID: StreamID
        let purpose: StateRead
    }

    private let inFlight = Mutex<[Key: EventLoopFuture<Void>]>([:])
    private let broker: any Broker
    private let directory: StreamShards
    private let encoder: MessageEncoder
    private let logger: Logger

    init(broker: any Broker, directory: StreamShards, encoder: MessageEncoder, logger: Logger) {
        self.broker = broker
        self.directory = directory
        self.encoder = encoder
        self.logger = logger
    }

    /// Completes on `loop` (never fails) once what the store holds for `purpose` is merged; a
    /// failed read leaves this node's state as it was, and is logged.
    func read(_ streamID: StreamID, for purpose: StateRead, on loop: any EventLoop) -> EventLoopFuture<Void> {
        guard broker.isLinkUp == true else { return loop.makeSucceededVoidFuture() }
        let key = Key(streamID: streamID, purpose: purpose)
        let (read, started) = inFlight.withLock { inFlight -> (EventLoopFuture<Void>?, Bool) in
            if let running = inFlight[key] { return (running, false) }
            guard let stored = broker.readState(of: streamID, for: purpose) else { return (nil, false) }
            let read = stored.map { [directory, encoder] state in
                // Encoded only if a viewer is replayed them.
                let history = state.history.map { event in
                    StreamHistory.Event(eventID: event.assignment.eventID, frame: LazyFrame { encoder.published(event, to: streamID) })
                }
                directory.withStream(streamID) { $0.merge(state, history: history, into: streamID, now: .now()) }
            }
            inFlight[key] = read
            return (read, true)
        }
        guard let read else { return loop.makeSucceededVoidFuture() }
        if started {
            read.whenComplete { [logger] result in
                self.inFlight.withLock { $0[key] = nil }
                if case .failure(let error) = result {
                    logger.warning(
                        "Cannot read stream state from the broker; using this node's", metadata: ["stream_id": "\(streamID)", "error": "\(error)"])
                }
            }
        }
        return read.recover { _ in }.hop(to: loop)
    }
}
