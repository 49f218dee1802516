/// A stream's state at one moment, as viewers receive it in `stream_state`.
public struct StreamSnapshot: Sendable {
    public let streamID: StreamID
    public let status: StreamStatus
    /// Open viewer connections to the stream.
    public let viewerCount: Int
    /// Highest ``viewerCount`` since `stream_started` (or since the hub first saw the stream).
    public let peakViewers: Int
    /// The `data` of the last `quality_changed`, as JSON object bytes; `nil` before any.
    public let quality: [UInt8]?
    /// The stream's latest event sequence number; 0 before its first event.
    public let lastEventID: UInt64
    /// The run of the stream's state its ids belong to; a resume names it.
    public let epoch: StreamEpoch
    public let timestamp: Timestamp

    /// Writes the `stream_state` data fields: `stream_id`, `timestamp`, `status`, `viewer_count`, `peak_viewers`, `quality`, `epoch`.
    public func writeFields(to writer: inout JSONWriter) {
        writer.key("stream_id")
        writer.string(streamID.rawValue)
        writer.key("timestamp")
        writer.timestamp(timestamp)
        writer.key("status")
        writer.string(status.rawValue)
        writer.key("viewer_count")
        writer.integer(viewerCount)
        writer.key("peak_viewers")
        writer.integer(peakViewers)
        writer.key("quality")
        writer.raw(quality)
        writer.key("epoch")
        writer.string(epoch.rawValue)
    }

    /// The JSON answered by `GET /api/v1/streams/{stream_id}`: the `stream_state` fields plus the latest `id`.
    public var json: [UInt8] {
        var writer = JSONWriter()
        writeObject(to: &writer)
        return writer.bytes
    }

    func writeObject(to writer: inout JSONWriter) {
        writer.beginObject()
        writeFields(to: &writer)
        writer.key("id")
        writer.integer(lastEventID)
        writer.endObject()
    }
}
