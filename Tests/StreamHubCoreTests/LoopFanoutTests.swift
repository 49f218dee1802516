import NIOCore
import NIOEmbedded
import Synchronization
import Testing

@testable import StreamHubCore

@Suite struct LoopFanoutTests {
    let stream = StreamID("s")!

    @Test func aLargeFanOutYieldsToOtherWorkAfterThePerTurnBudget() throws {
        let viewers = EmbeddedViewers()
        try viewers.addViewers(LoopFanout.writesPerTurn + 500, of: stream)
        viewers.loop.run()
        for channel in viewers.channels { _ = viewers.frames(of: channel) }
        try viewers.publish(#"{"event":"stream_started"}"#, to: stream)
        var writtenWhenOtherWorkRan = -1
        viewers.loop.execute {
            writtenWhenOtherWorkRan = viewers.channels.count { (try? $0.readOutbound(as: ByteBuffer.self)) ?? nil != nil }
        }
        viewers.loop.run()
        #expect(writtenWhenOtherWorkRan == LoopFanout.writesPerTurn, "work queued behind the broadcast runs after one budget")
        #expect(viewers.channels.suffix(500).allSatisfy { viewers.messageIDs(of: $0) == ["1"] }, "the rest follow on the next turn")
    }

    @Test func eventsQueuedTogetherReachEveryViewerOnceInOrder() throws {
        let viewers = EmbeddedViewers()
        try viewers.addViewers(3, of: stream)
        viewers.loop.run()
        for channel in viewers.channels { _ = viewers.frames(of: channel) }
        for index in 1...(LoopFanout.maxBatch + 4) { try viewers.publish(#"{"event":"quality_changed","data":{"n":\#(index)}}"#, to: stream) }
        viewers.loop.run()
        let expected = (1...(LoopFanout.maxBatch + 4)).map(String.init)
        #expect(viewers.channels.allSatisfy { viewers.messageIDs(of: $0) == expected })
    }

    @Test func aViewerJoiningWhileItsStreamsEventsAreQueuedGetsOnlyTheLaterOnes() throws {
        let viewers = EmbeddedViewers()
        try viewers.addViewers(2, of: stream)
        viewers.loop.run()
        for channel in viewers.channels { _ = viewers.frames(of: channel) }
        try viewers.publish(#"{"event":"stream_started"}"#, to: stream)  // queued, not yet written
        try viewers.addViewers(1, of: stream)  // its stream_state covers id 1
        try viewers.publish(#"{"event":"stream_ended"}"#, to: stream)
        viewers.loop.run()
        #expect(viewers.messageIDs(of: viewers.channels[0]) == ["1", "2"])
        #expect(viewers.messageIDs(of: viewers.channels[2]) == ["1", "2"], "stream_state (id 1), then event 2 only")
        #expect(viewers.frames(of: viewers.channels[2]).isEmpty)
    }

    @Test func aBroadcastToNoLoopIsCompleteAtOnce() throws {
        let completions = Completions()
        let viewers = EmbeddedViewers(observer: completions)
        try viewers.addViewers(1, of: StreamID("other")!)
        try viewers.publish(#"{"event":"stream_started"}"#, to: stream)
        #expect(completions.deliveries.withLock { $0 } == [0], "no loop holds a viewer of the stream: none is woken")
    }

    final class Completions: HubObserver {
        let deliveries = Mutex<[Int]>([])
        func broadcastCompleted(event: String, deliveries count: Int, latency: Duration) { deliveries.withLock { $0.append(count) } }
    }
}
