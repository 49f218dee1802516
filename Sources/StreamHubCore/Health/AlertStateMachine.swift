/// A notification the alert of one check must send.
enum AlertTransition: Equatable {
    /// The check failed for `--alert-for`: the alert starts firing.
    case fire(startsAt: Timestamp)
    /// Still firing after `--alert-repeat-interval`: say so again.
    case repeatFiring(startsAt: Timestamp)
    /// The check recovered while firing.
    case resolve(startsAt: Timestamp, endsAt: Timestamp)
}

/// Pending → firing → resolved for one check's alert; pure, the monitor owns the clock.
struct AlertStateMachine {
    enum State: Equatable {
        case inactive
        case pending(since: ContinuousClock.Instant)
        case firing(startsAt: Timestamp, lastSent: ContinuousClock.Instant)
    }

    let alertFor: Duration
    let repeatInterval: Duration
    private(set) var state = State.inactive

    init(alertFor: Duration, repeatInterval: Duration) {
        self.alertFor = alertFor
        self.repeatInterval = repeatInterval
    }

    var isFiring: Bool {
        if case .firing = state { return true }
        return false
    }

    /// Takes one check result; returns the notification to send, if any.
    mutating func record(healthy: Bool, now: ContinuousClock.Instant, wallClock: Timestamp) -> AlertTransition? {
        switch (state, healthy) {
        case (.inactive, true):
            return nil
        case (.pending, true):
            state = .inactive
            return nil
        case (.firing(let startsAt, _), true):
            state = .inactive
            return .resolve(startsAt: startsAt, endsAt: wallClock)
        case (.inactive, false):
            state = .pending(since: now)
            return record(healthy: false, now: now, wallClock: wallClock)
        case (.pending(let since), false):
            guard now - since >= alertFor else { return nil }
            state = .firing(startsAt: wallClock, lastSent: now)
            return .fire(startsAt: wallClock)
        case (.firing(let startsAt, let lastSent), false):
            guard now - lastSent >= repeatInterval else { return nil }
            state = .firing(startsAt: startsAt, lastSent: now)
            return .repeatFiring(startsAt: startsAt)
        }
    }
}
