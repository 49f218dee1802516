import NIOCore
import Testing

@testable import StreamHubCore

@Suite struct HeartbeatWheelTests {
    let stream = StreamID("s")!

    /// Viewers pinged every 100 ms on a wheel of 10 ms slots (12 of them), which the test turns by hand.
    private func viewers(_ count: Int) throws -> (EmbeddedViewers, [ViewerHandler]) {
        let viewers = EmbeddedViewers(configuration: HubConfiguration(pingInterval: .milliseconds(100), pongTimeout: .seconds(10)))
        try viewers.addViewers(count, of: stream)
        let handlers = try viewers.channels.map { try $0.pipeline.syncOperations.handler(type: ViewerHandler.self) }
        for channel in viewers.channels { _ = viewers.frames(of: channel) }
        return (viewers, handlers)
    }

    private func pings(_ viewers: EmbeddedViewers) -> [Int] {
        viewers.channels.map { channel in viewers.frames(of: channel).count { $0.opcode == 0x9 } }
    }

    @Test func theWheelWrapsAroundAndPingsEveryViewerOncePerInterval() throws {
        let (viewers, handlers) = try viewers(20)
        let start = NIODeadline.now()
        var wheel = HeartbeatWheel(tick: .milliseconds(10), horizon: .milliseconds(100), now: start)
        for handler in handlers { wheel.insert(handler) }
        // 1 s is about eight turns of the wheel: ten intervals, so ten pings each, give or take the first one's jitter.
        for step in 1...100 { wheel.advance(to: start + .milliseconds(Int64(step * 10))) }
        #expect(pings(viewers).allSatisfy { (9...11).contains($0) }, "\(pings(viewers))")
    }

    @Test func afterAStalledLoopEachViewerIsPingedOnceNotOncePerMissedInterval() throws {
        let (viewers, handlers) = try viewers(20)
        let start = NIODeadline.now()
        var wheel = HeartbeatWheel(tick: .milliseconds(10), horizon: .milliseconds(100), now: start)
        for handler in handlers { wheel.insert(handler) }
        wheel.advance(to: start + .seconds(5))  // the loop was stuck for 50 intervals
        #expect(pings(viewers).allSatisfy { $0 == 1 }, "\(pings(viewers))")
        for step in 1...10 { wheel.advance(to: start + .seconds(5) + .milliseconds(Int64(step * 10))) }
        #expect(pings(viewers).allSatisfy { $0 == 1 }, "and the next ping one interval later: \(pings(viewers))")
    }
}
