/// Settings of the media-server callbacks: who may call them, how a callback names its stream, and
/// how long a stream that sent liveness updates may fall silent.
public struct IngestConfiguration: Sendable {
    /// The secrets a callback URL may carry as `?secret=`; several at once so one can be rotated.
    public var secrets: [String]
    /// How a callback's application and stream name make a stream id.
    public var streamID: StreamIDTemplate
    /// How long a stream whose media server sent an update may go without one before it is ended.
    public var timeout: Duration

    /// - Precondition: at least one non-empty secret.
    public init(secrets: [String], streamID: StreamIDTemplate = .name, timeout: Duration = .seconds(90)) {
        precondition(secrets.contains { !$0.isEmpty }, "at least one ingest secret is required")
        self.secrets = secrets.filter { !$0.isEmpty }
        self.streamID = streamID
        self.timeout = timeout
    }
}
