import NIOCore
import Synchronization

/// One encoded message on its way to every local viewer of a stream, across all event loops.
final class Delivery: Sendable {
    let streamID: StreamID
    let frame: ByteBuffer
    /// The event's sequence number; viewers whose `stream_state` already covered it skip it.
    /// `nil` for `viewer_count_changed`, which takes no number.
    let eventID: UInt64?
    let event: String
    let receivedAt: NIODeadline
    private let loopsRemaining: Atomic<Int>
    private let delivered = Atomic<Int>(0)
    private let observer: any HubObserver

    init(streamID: StreamID, frame: ByteBuffer, eventID: UInt64?, event: String, receivedAt: NIODeadline, loops: Int, observer: any HubObserver) {
        self.streamID = streamID
        self.frame = frame
        self.eventID = eventID
        self.event = event
        self.receivedAt = receivedAt
        self.loopsRemaining = Atomic(loops)
        self.observer = observer
    }

    /// Called once by each event loop when it has written the frame to all its viewers.
    func loopFinished(deliveries: Int) {
        if deliveries > 0 { delivered.add(deliveries, ordering: .relaxed) }
        guard loopsRemaining.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 else { return }
        let latency = NIODeadline.now() - receivedAt
        observer.broadcastCompleted(
            event: event,
            deliveries: delivered.load(ordering: .relaxed),
            latency: .nanoseconds(latency.nanoseconds)
        )
    }
}

/// Positions in a batch of at most 32 deliveries: those a viewer was written.
struct DeliveryIndices: Equatable {
    private var bits: UInt32 = 0

    var isEmpty: Bool { bits == 0 }
    var count: Int { bits.nonzeroBitCount }

    func contains(_ index: Int) -> Bool { bits & (1 << index) != 0 }

    mutating func insert(_ index: Int) {
        precondition(index < UInt32.bitWidth, "a batch holds at most 32 deliveries")
        bits |= 1 << index
    }
}
