import NIOCore
import StreamHubCore

/// When an HTTP connection must next have made progress, and why it is closed if it has not.
///
/// A request, from its first byte (for a connection's first request: from the connection opening)
/// to its end, must arrive within the request timeout; once every answer is written, the connection
/// may stay silent for the idle timeout. While the hub owes an answer, the client is not timed.
struct HTTPDeadlines {
    let requestTimeout: TimeAmount
    let idleTimeout: TimeAmount
    /// The deadline of the current phase; `nil` while an answer is owed.
    private(set) var deadline: NIODeadline?
    /// What closing at ``deadline`` is counted as.
    private(set) var reason = HTTPCloseReason.requestTimeout
    /// Bytes of a request that has not ended have arrived.
    private var readingRequest = true
    private var answersOwed = 0

    init(requestTimeout: TimeAmount, idleTimeout: TimeAmount, openedAt now: NIODeadline) {
        self.requestTimeout = requestTimeout
        self.idleTimeout = idleTimeout
        self.deadline = now + requestTimeout
    }

    /// Bytes arrived: after an idle spell, a new request's time starts.
    mutating func bytesArrived(at now: @autoclosure () -> NIODeadline) {
        guard !readingRequest else { return }
        readingRequest = true
        if answersOwed == 0 { (deadline, reason) = (now() + requestTimeout, .requestTimeout) }
    }

    /// A request arrived in full; its answer is owed.
    mutating func requestEnded() {
        readingRequest = false
        answersOwed += 1
        deadline = nil
    }

    /// An answer was written in full.
    mutating func answerWritten(at now: NIODeadline) {
        answersOwed = max(0, answersOwed - 1)
        guard answersOwed == 0 else { return }
        (deadline, reason) = readingRequest ? (now + requestTimeout, .requestTimeout) : (now + idleTimeout, .idleTimeout)
    }

    /// Whether the hub has not yet answered every request that arrived.
    var owesAnswer: Bool { answersOwed > 0 }

    /// Why the connection must close at `now`, if it must.
    func expired(at now: NIODeadline) -> HTTPCloseReason? {
        guard let deadline, now >= deadline else { return nil }
        return reason
    }

    /// When to look again: the deadline, but never later than a request timeout from `now`, the
    /// earliest a deadline set later could fall; so the timer is never moved earlier on the request path.
    func nextCheck(after now: NIODeadline) -> NIODeadline {
        min(deadline ?? .distantFuture, now + requestTimeout)
    }
}
