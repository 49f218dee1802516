import StreamHubCore

/// One node's viewers per stream, as it tells the others on the counts channel.
///
/// A full report lists every stream the node has viewers of (a stream left out has none there) and
/// also says the node is alive; a partial one lists only counts that changed, 0 included. A node
/// that stops says it is leaving, so the others drop it at once rather than after the node TTL.
struct CountReport: Sendable, Equatable {
    let sender: ClusterSender
    let full: Bool
    let counts: [StreamID: Int]
    var leaving = false

    func encoded() -> [UInt8] {
        var writer = JSONWriter(capacity: 64 + counts.count * 24)
        writer.beginObject()
        sender.write(to: &writer)
        writer.key("full")
        writer.raw(Array(String(full).utf8))
        writer.key("leaving")
        writer.raw(Array(String(leaving).utf8))
        writer.key("counts")
        writer.beginObject()
        for (id, count) in counts {
            writer.key(id.rawValue)
            writer.integer(count)
        }
        writer.endObject()
        writer.endObject()
        return writer.bytes
    }
}

extension CountReport {
    /// Reads a report, checking every field.
    init(decoding payload: [UInt8]) throws(ClusterMessageError) {
        let fields = try MessageFields(payload)
        guard let members = JSONScanner.members(ofObject: try fields.value("counts")) else { throw .invalid("counts") }
        var counts: [StreamID: Int] = [:]
        for member in members {
            guard let id = StreamID(member.key), let count = JSONScanner.integer(member.value) else { throw .invalid("counts") }
            guard (0...ClusterLimits.maxViewers).contains(count) else { throw .outOfRange("counts") }
            counts[id] = Int(count)
        }
        self.sender = try ClusterSender(fields)
        self.full = try fields.boolean("full")
        self.leaving = (try? fields.boolean("leaving")) ?? false
        self.counts = counts
    }
}
