/// Takes alert notifications without waiting; delivery happens elsewhere.
public protocol AlertSink: Sendable {
    func send(_ notification: AlertNotification)
}
