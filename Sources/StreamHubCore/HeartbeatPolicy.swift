import NIOCore

/// What a viewer's heartbeat timer should do next.
enum HeartbeatAction: Equatable {
    /// Send a ping carrying `payload`, then ask again.
    case sendPing(payload: UInt64)
    /// Nothing to do before `deadline`.
    case wait(until: NIODeadline)
    /// The viewer stayed silent for the pong timeout after a ping: close it.
    case reap
}

/// Decides when to ping a viewer and when its silence means it is gone; owns no timer or socket.
///
/// Any frame from the viewer proves it alive; only a pong echoing the outstanding ping's payload
/// yields a round-trip time.
struct HeartbeatPolicy {
    let interval: TimeAmount
    let pongTimeout: TimeAmount
    private(set) var nextPingAt: NIODeadline
    private(set) var lastHeard: NIODeadline
    /// When the unanswered ping went out; its payload is this instant's uptime in nanoseconds.
    private var outstandingPing: NIODeadline?

    /// - Parameters:
    ///   - interval: Time between pings.
    ///   - pongTimeout: Silence after a ping that reaps the viewer.
    ///   - now: When the viewer connected.
    ///   - firstPingDelay: Jitter for the first ping, within `interval`, so pings of viewers that joined together spread out.
    init(interval: TimeAmount, pongTimeout: TimeAmount, now: NIODeadline, firstPingDelay: TimeAmount) {
        self.interval = interval
        self.pongTimeout = pongTimeout
        self.nextPingAt = now + firstPingDelay
        self.lastHeard = now
    }

    /// Records a frame of any kind from the viewer.
    mutating func heard(at now: NIODeadline) {
        lastHeard = now
    }

    /// Records a pong; returns the round-trip time when it answers the outstanding ping.
    mutating func pongReceived(payload: UInt64, at now: NIODeadline) -> TimeAmount? {
        lastHeard = now
        guard let sent = outstandingPing, sent.uptimeNanoseconds == payload else { return nil }
        outstandingPing = nil
        return now - sent
    }

    mutating func next(now: NIODeadline) -> HeartbeatAction {
        var deadline = nextPingAt
        if let sent = outstandingPing {
            if lastHeard >= sent {
                // Alive, even if the pong itself did not come back.
                outstandingPing = nil
            } else if now >= sent + pongTimeout {
                return .reap
            } else {
                deadline = min(deadline, sent + pongTimeout)
            }
        }
        if now >= nextPingAt {
            outstandingPing = now
            nextPingAt = now + interval
            return .sendPing(payload: now.uptimeNanoseconds)
        }
        return .wait(until: deadline)
    }
}
