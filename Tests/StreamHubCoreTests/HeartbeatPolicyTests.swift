import NIOCore
import Testing

@testable import StreamHubCore

@Suite struct HeartbeatPolicyTests {
    let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    private func policy(jitter: TimeAmount = .seconds(5)) -> HeartbeatPolicy {
        HeartbeatPolicy(interval: .seconds(20), pongTimeout: .seconds(10), now: start, firstPingDelay: jitter)
    }

    @Test func firstPingWaitsForTheJitter() {
        var heartbeat = policy()
        #expect(heartbeat.next(now: start) == .wait(until: start + .seconds(5)))
        #expect(heartbeat.next(now: start + .seconds(5)) == .sendPing(payload: (start + .seconds(5)).uptimeNanoseconds))
    }

    @Test func silenceAfterAPingReaps() {
        var heartbeat = policy(jitter: .zero)
        _ = heartbeat.next(now: start)
        #expect(heartbeat.next(now: start + .seconds(1)) == .wait(until: start + .seconds(10)))
        #expect(heartbeat.next(now: start + .seconds(10)) == .reap)
    }

    @Test func pingIntervalShorterThanTimeoutStillReapsFromTheFirstUnansweredPing() {
        var heartbeat = HeartbeatPolicy(interval: .milliseconds(200), pongTimeout: .milliseconds(300), now: start, firstPingDelay: .zero)
        _ = heartbeat.next(now: start)
        _ = heartbeat.next(now: start + .milliseconds(200))
        #expect(heartbeat.next(now: start + .milliseconds(300)) == .reap)
    }

    @Test func anyFrameKeepsTheViewerAliveAndMatchingPongsGiveTheRoundTrip() {
        var heartbeat = policy(jitter: .zero)
        guard case .sendPing(let payload) = heartbeat.next(now: start) else {
            Issue.record("expected a ping")
            return
        }
        #expect(heartbeat.pongReceived(payload: payload &+ 1, at: start + .milliseconds(5)) == nil)
        #expect(heartbeat.pongReceived(payload: payload, at: start + .milliseconds(7)) == .milliseconds(7))
        #expect(heartbeat.next(now: start + .seconds(15)) == .wait(until: start + .seconds(20)))

        _ = heartbeat.next(now: start + .seconds(20))
        heartbeat.heard(at: start + .seconds(21))
        #expect(heartbeat.next(now: start + .seconds(30)) == .wait(until: start + .seconds(40)))
    }

    @Test func aPingDueWithinAnEighthOfTheIntervalCanGoAheadOnceAndRestartsTheInterval() {
        var heartbeat = policy(jitter: .seconds(5))
        #expect(heartbeat.pingAhead(now: start + .seconds(2)) == nil)  // 3 s early; the window is 2.5 s
        let early = start + .seconds(3)
        #expect(heartbeat.pingAhead(now: early) == early.uptimeNanoseconds)
        #expect(heartbeat.pingAhead(now: early + .milliseconds(1)) == nil)  // one is outstanding
        #expect(heartbeat.next(now: start + .seconds(5)) == .wait(until: early + .seconds(10)))
        #expect(heartbeat.pongReceived(payload: early.uptimeNanoseconds, at: early + .milliseconds(2)) == .milliseconds(2))
        #expect(heartbeat.next(now: start + .seconds(5)) == .wait(until: early + .seconds(20)))
    }
}
