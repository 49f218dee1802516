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
    /// When the first ping still unanswered went out; the pong timeout counts from here.
    private var unansweredSince: NIODeadline?
    /// When the latest ping went out; its payload is this instant's uptime in nanoseconds.
    private var lastPingSent: NIODeadline?

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
        guard let sent = lastPingSent, sent.uptimeNanoseconds == payload else { return nil }
        lastPingSent = nil
        return now - sent
    }

    /// A ping to send now with other data, saving it a write of its own, when the next one is due
    /// within an eighth of the interval and none is outstanding; its payload, or `nil`.
    mutating func pingAhead(now: NIODeadline) -> UInt64? {
        guard unansweredSince == nil, now >= nextPingAt - .nanoseconds(interval.nanoseconds / 8) else { return nil }
        return recordPing(at: now)
    }

    private mutating func recordPing(at now: NIODeadline) -> UInt64 {
        lastPingSent = now
        if unansweredSince == nil { unansweredSince = now }
        nextPingAt = now + interval
        return now.uptimeNanoseconds
    }

    mutating func next(now: NIODeadline) -> HeartbeatAction {
        if let since = unansweredSince {
            if lastHeard > since {
                unansweredSince = nil  // Alive, even if no pong came back.
            } else if now >= since + pongTimeout {
                return .reap
            }
        }
        if now >= nextPingAt { return .sendPing(payload: recordPing(at: now)) }
        var deadline = nextPingAt
        if let since = unansweredSince { deadline = min(deadline, since + pongTimeout) }
        return .wait(until: deadline)
    }
}
