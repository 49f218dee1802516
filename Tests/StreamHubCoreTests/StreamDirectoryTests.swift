import NIOCore
import Testing

@testable import StreamHubCore

@Suite struct StreamDirectoryTests {
    let now = NIODeadline.uptimeNanoseconds(5_000_000_000)
    let wall = Timestamp(millisecondsSince1970: 0)
    let id = StreamID("s")!

    private func request(_ event: PublishedEvent, _ data: String = "{}") throws -> PublishRequest {
        try PublishRequest(body: Array(#"{"event":"\#(event.rawValue)","data":\#(data)}"#.utf8)[...])
    }

    @Test func countsPeaksAndStatus() throws {
        var directory = StreamDirectory()
        _ = directory.join(id, now: now, wallClock: wall)
        let second = directory.join(id, now: now, wallClock: wall)
        #expect(second.viewerCount == 2 && second.peakViewers == 2 && second.status == .offline)
        directory.leave(id, now: now)
        let started = directory.publish(try request(.streamStarted), to: id, now: now)
        #expect(started.eventID == 1 && started.peakViewers == 1, "stream_started resets the peak to the current count")
        _ = directory.publish(try request(.qualityChanged, #"{"q":"4k"}"#), to: id, now: now)
        let ended = directory.publish(try request(.streamEnded), to: id, now: now)
        let state = directory.snapshot(of: id, wallClock: wall)
        #expect(ended.eventID == 3)
        #expect(state.status == .ended)
        #expect(state.quality.map { String(decoding: $0, as: UTF8.self) } == #"{"q":"4k"}"#)
    }

    @Test func countChangesAreCoalescedAndSkipUnchangedCounts() {
        var directory = StreamDirectory()
        for _ in 0..<50 { _ = directory.join(id, now: now, wallClock: wall) }
        #expect(directory.takeCountChanges().map(\.viewers) == [50])
        #expect(directory.takeCountChanges().isEmpty)
        _ = directory.join(id, now: now, wallClock: wall)
        directory.leave(id, now: now)
        #expect(directory.takeCountChanges().isEmpty, "back to the announced count")
    }

    @Test func idleStateIsForgottenOnlyWithoutViewersAfterTheTTL() throws {
        var directory = StreamDirectory()
        _ = directory.publish(try request(.streamStarted), to: id, now: now)
        let watched = StreamID("watched")!
        _ = directory.join(watched, now: now, wallClock: wall)
        #expect(directory.forgetIdle(now: now + .seconds(59), ttl: .seconds(60)) == 0)
        #expect(directory.forgetIdle(now: now + .seconds(61), ttl: .seconds(60)) == 1)
        #expect(directory.snapshot(of: id, wallClock: wall).lastEventID == 0)
        #expect(directory.snapshot(of: watched, wallClock: wall).viewerCount == 1)
    }

    @Test func busiestFirst() {
        var directory = StreamDirectory()
        for (name, viewers) in [("a", 1), ("b", 3), ("c", 2)] {
            for _ in 0..<viewers { _ = directory.join(StreamID(name)!, now: now, wallClock: wall) }
        }
        #expect(directory.busiest(limit: 2, wallClock: wall).map(\.streamID.rawValue) == ["b", "c"])
    }
}
