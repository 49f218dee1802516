/// Where a reconnecting viewer asks to resume: `?since=<id>&epoch=<epoch>` on its WebSocket URL.
public struct ResumePoint: Sendable, Equatable {
    /// The `id` of the last message the viewer handled.
    public let since: UInt64
    /// The epoch of its last `stream_state`; `nil` (no `epoch` given) never matches.
    public let epoch: StreamEpoch?

    /// Largest `since`: ids stay exact in JavaScript numbers.
    public static let maxSince: UInt64 = 1 << 53 - 1

    public init(since: UInt64, epoch: StreamEpoch?) {
        self.since = since
        self.epoch = epoch
    }

    /// Reads `since` and `epoch` from a query string's raw values: `nil` when neither is given;
    /// throws the message for a `400` when either is malformed or `epoch` comes without `since`.
    public init?(since rawSince: Substring?, epoch rawEpoch: Substring?) throws(ResumePointError) {
        guard let rawSince else {
            if rawEpoch != nil { throw ResumePointError("epoch needs since: resume with ?since=<id>&epoch=<epoch>") }
            return nil
        }
        guard rawSince.utf8.count <= 16, rawSince.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
            let since = UInt64(rawSince), since <= Self.maxSince
        else { throw ResumePointError("since must be a whole number from 0 to \(Self.maxSince)") }
        var epoch: StreamEpoch?
        if let rawEpoch {
            guard let valid = StreamEpoch(rawEpoch) else { throw ResumePointError(StreamEpoch.validationMessage) }
            epoch = valid
        }
        self.init(since: since, epoch: epoch)
    }
}

/// Why `since`/`epoch` were refused; its message is the `400` answer's `error`.
public struct ResumePointError: Error, Equatable {
    public let message: String

    init(_ message: String) {
        self.message = message
    }
}
