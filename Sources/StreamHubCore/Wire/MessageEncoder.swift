import NIOCore

/// Encodes server messages, `{"id": n, "event": "...", "data": {...}}`, straight into WebSocket text frames.
///
/// Each message is encoded once and the resulting buffer is shared by every viewer that receives it.
struct MessageEncoder: Sendable {
    let allocator: ByteBufferAllocator

    /// A viewer's `stream_state`; `recovered` is set only for a viewer that asked to resume.
    func streamState(_ snapshot: StreamSnapshot, recovered: Bool? = nil) -> ByteBuffer {
        message(id: snapshot.lastEventID, event: EventName.streamState) { writer in
            snapshot.writeFields(to: &writer)
            if let recovered {
                writer.key("recovered")
                writer.boolean(recovered)
            }
        }
    }

    func viewerCount(_ change: StreamDirectory.CountChange, at wallClock: Timestamp) -> ByteBuffer {
        message(id: change.lastEventID, event: EventName.viewerCountChanged) { writer in
            writeCommonFields(change.streamID, wallClock, to: &writer)
            writer.key("viewer_count")
            writer.integer(change.viewers)
            writer.key("peak_viewers")
            writer.integer(change.peakViewers)
        }
    }

    /// A published event; `peakViewers` goes into `stream_ended`.
    func published(_ request: PublishRequest, to streamID: StreamID, eventID: UInt64, peakViewers: Int, at wallClock: Timestamp) -> ByteBuffer {
        message(id: eventID, event: request.event.rawValue) { writer in
            writeCommonFields(streamID, wallClock, to: &writer)
            if request.event == .streamEnded {
                writer.key("peak_viewers")
                writer.integer(peakViewers)
            }
            writer.members(request.members)
        }
    }

    /// An event from the shared store's history, as the node that accepted it sent it.
    func published(_ stored: StoredEvent, to streamID: StreamID) -> ByteBuffer {
        let assignment = stored.assignment
        return published(stored.request, to: streamID, eventID: assignment.eventID, peakViewers: assignment.peakViewers, at: assignment.wallClock)
    }

    private func writeCommonFields(_ streamID: StreamID, _ wallClock: Timestamp, to writer: inout JSONWriter) {
        writer.key("stream_id")
        writer.string(streamID.rawValue)
        writer.key("timestamp")
        writer.timestamp(wallClock)
    }

    private func message(id: UInt64, event: String, data: (inout JSONWriter) -> Void) -> ByteBuffer {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("id")
        writer.integer(id)
        writer.key("event")
        writer.string(event)
        writer.key("data")
        writer.beginObject()
        data(&writer)
        writer.endObject()
        writer.endObject()
        return ServerFrame.make(.text, payload: writer.bytes, allocator: allocator)
    }
}
