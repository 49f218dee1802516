import NIOCore
import Synchronization

/// One message on its way to every local viewer of a stream, across the event loops that hold some.
///
/// It is enqueued under the stream's shard lock (that fixes its order) and encoded once, outside
/// that lock: by the publisher right after, or by the first loop that gets to it before that
/// (its ``LazyFrame`` is the one the stream's history keeps).
final class Delivery: Sendable {
    let streamID: StreamID
    /// The event's sequence number; `nil` for `viewer_count_changed`, which takes no number.
    let eventID: UInt64?
    let event: String
    let receivedAt: NIODeadline
    private let lazyFrame: LazyFrame
    private let loopsRemaining: Atomic<Int>
    private let delivered = Atomic<Int>(0)
    private let observer: any HubObserver

    /// - Parameters:
    ///   - loops: How many loops will call ``loopFinished(deliveries:)``; with 0 the broadcast is complete at once.
    ///   - frame: The message's frame, encoded by whoever needs it first.
    init(streamID: StreamID, eventID: UInt64?, event: String, receivedAt: NIODeadline, loops: Int, observer: any HubObserver, frame: LazyFrame) {
        self.streamID = streamID
        self.eventID = eventID
        self.event = event
        self.receivedAt = receivedAt
        self.loopsRemaining = Atomic(loops)
        self.observer = observer
        self.lazyFrame = frame
        if loops == 0 { completed() }
    }

    /// The message as one WebSocket frame, encoded on first use.
    var frame: ByteBuffer { lazyFrame.frame }

    /// Called once by each event loop when it has written the frame to all its viewers.
    func loopFinished(deliveries: Int) {
        if deliveries > 0 { delivered.add(deliveries, ordering: .relaxed) }
        guard loopsRemaining.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 else { return }
        completed()
    }

    private func completed() {
        let latency = NIODeadline.now() - receivedAt
        observer.broadcastCompleted(event: event, deliveries: delivered.load(ordering: .relaxed), latency: .nanoseconds(latency.nanoseconds))
    }
}

/// A message as a viewer's write sees it: its id (for the ``JoinCursor``) and its frame.
struct OutboundMessage {
    let eventID: UInt64?
    let frame: ByteBuffer
}
