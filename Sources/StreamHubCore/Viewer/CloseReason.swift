/// A close frame the hub sends: its RFC 6455 code and a reason of at most 123 bytes.
public struct CloseReason: Sendable, Hashable {
    public let code: UInt16
    public let text: String

    private init(code: UInt16, text: String) {
        precondition(text.utf8.count <= 123, "a close reason must fit a control frame")
        self.code = code
        self.text = text
    }

    public static let normal = CloseReason(code: 1000, text: "")
    public static let goingAway = CloseReason(code: 1001, text: "server shutting down")
    public static let protocolError = CloseReason(code: 1002, text: "protocol error")
    public static let invalidText = CloseReason(code: 1007, text: "invalid UTF-8 text")
    public static let slowConsumer = CloseReason(code: 1008, text: "slow consumer: outbound queue over limit")
    public static let slowConsumerStalled = CloseReason(code: 1008, text: "slow consumer: queued data not read in time")
    public static let messageTooBig = CloseReason(code: 1009, text: "message exceeds 4096 bytes")
    public static let internalError = CloseReason(code: 1011, text: "internal error")
    /// The viewer's token expired: get a fresh one and reconnect, resuming with `since`.
    public static let tokenExpired = CloseReason(code: 4001, text: "token expired")

    /// An echo of the client's own close code, as RFC 6455 §5.5.1 asks.
    static func echo(code: UInt16) -> CloseReason { CloseReason(code: code, text: "") }
}
