/// The media servers whose callbacks the hub reads.
public enum IngestServer: String, Sendable, CaseIterable {
    case nginxRTMP = "nginx-rtmp"
    case srs

    /// The `server` label of `streamhub_ingest_callbacks_total`.
    public var label: String { self == .nginxRTMP ? "nginx_rtmp" : "srs" }
}

/// What a callback reports about a stream, as `streamhub_ingest_callbacks_total` counts it.
public enum IngestCall: String, Sendable, CaseIterable {
    /// The broadcaster started publishing: the stream goes live.
    case publish
    /// The broadcaster stopped: the stream ends.
    case publishDone = "publish_done"
    /// The publish goes on (nginx-rtmp's `update_publish`).
    case update
    /// Anything else (players, connections, recordings): answered and ignored.
    case other
}

/// One callback, read from what a media server sent.
public struct IngestCallback: Sendable, Equatable {
    public let server: IngestServer
    public let call: IngestCall
    /// The media server's application (`live` in `rtmp://host/live/name`).
    public let app: String
    /// The stream's name within the application, without the broadcaster's query string.
    public let name: String

    public init(server: IngestServer, call: IngestCall, app: String, name: String) {
        self.server = server
        self.call = call
        self.app = app
        self.name = name
    }
}

/// Why a callback is refused; its status is what the media server is answered.
public struct IngestRefusal: Error, Equatable, CustomStringConvertible {
    /// `401` or `400`.
    public let status: Int
    public let message: String

    public var description: String { message }

    public init(status: Int, message: String) {
        self.status = status
        self.message = message
    }

    static let wrongSecret = IngestRefusal(status: 401, message: "missing or wrong ingest secret")

    static func badRequest(_ message: String) -> IngestRefusal { IngestRefusal(status: 400, message: message) }
}
