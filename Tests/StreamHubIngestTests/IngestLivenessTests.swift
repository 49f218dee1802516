import StreamHubCore
import Testing

@testable import StreamHubIngest

/// Which streams fall silent, and what happens when an update or a publish races their end.
@Suite struct IngestLivenessTests {
    let stream = StreamID("stream42")!
    let start = ContinuousClock.now

    @Test func aStreamIsSilentATimeoutAfterItsLastUpdateAndSettlingForgetsIt() {
        var liveness = IngestLiveness()
        liveness.updated(stream, by: .nginxRTMP, at: start)
        #expect(liveness.silent(for: .seconds(2), at: start + .seconds(1)).isEmpty)
        let silent = liveness.silent(for: .seconds(2), at: start + .seconds(2))
        #expect(silent.map(\.streamID) == [stream])
        let settled = liveness.settle(silent[0], rearmedAt: nil)
        #expect(settled)
        #expect(liveness.silent(for: .seconds(2), at: start + .seconds(10)).isEmpty)
    }

    @Test func anUpdateOrAPublishWhileTheEndIsCheckedWins() {
        var liveness = IngestLiveness()
        liveness.updated(stream, by: .nginxRTMP, at: start)
        let silent = liveness.silent(for: .seconds(2), at: start + .seconds(3))[0]
        liveness.updated(stream, by: .nginxRTMP, at: start + .seconds(3))
        let settledAfterUpdate = liveness.settle(silent, rearmedAt: nil)
        #expect(!settledAfterUpdate, "the update came after it was found silent")
        let again = liveness.silent(for: .seconds(2), at: start + .seconds(6))[0]
        liveness.forget(stream)
        let settledAfterPublish = liveness.settle(again, rearmedAt: nil)
        #expect(!settledAfterPublish, "a publish started a new session")
    }

    @Test func aStreamAnotherNodeHeardFromIsWatchedUntilItsSilenceThere() {
        var liveness = IngestLiveness()
        liveness.updated(stream, by: .srs, at: start)
        let silent = liveness.silent(for: .seconds(2), at: start + .seconds(2))[0]
        let rearmed = liveness.settle(silent, rearmedAt: start + .seconds(1))
        #expect(rearmed)
        #expect(liveness.silent(for: .seconds(2), at: start + .milliseconds(2900)).isEmpty)
        #expect(liveness.silent(for: .seconds(2), at: start + .seconds(3)).map(\.server) == [.srs])
    }
}
