import NIOCore

/// Encodes server messages, `{"id": n, "event": "...", "data": {...}}`, straight into WebSocket text frames.
///
/// Each message is encoded once and the resulting buffer is shared by every viewer that receives it.
struct MessageEncoder: Sendable {
    let allocator: ByteBufferAllocator

    func streamState(_ snapshot: StreamSnapshot) -> ByteBuffer {
        message(id: snapshot.lastEventID, event: EventName.streamState) { writer in
            snapshot.writeFields(to: &writer)
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

    func published(
        _ request: PublishRequest,
        to streamID: StreamID,
        as publication: StreamDirectory.Publication,
        at wallClock: Timestamp
    ) -> ByteBuffer {
        message(id: publication.eventID, event: request.event.rawValue) { writer in
            writeCommonFields(streamID, wallClock, to: &writer)
            if request.event == .streamEnded {
                writer.key("peak_viewers")
                writer.integer(publication.peakViewers)
            }
            writer.members(request.members)
        }
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
