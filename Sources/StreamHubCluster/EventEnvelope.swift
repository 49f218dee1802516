import StreamHubCore

/// An accepted event as it travels between nodes on the events channel.
///
/// The accepting node writes everything but the id and the peak, which the publish script
/// (``ClusterScripts/publish``) assigns and splices in, so one Redis round trip numbers, stores and
/// forwards the event. Every field is checked on receipt: anything malformed is dropped, never
/// forwarded to viewers.
struct EventEnvelope: Sendable {
    let sender: ClusterSender
    let streamID: StreamID
    let request: PublishRequest
    /// The accepting node's wall clock, in nanoseconds since 1970.
    let acceptedAtNanos: Int64
    let eventID: UInt64
    let peakViewers: Int
    let epoch: StreamEpoch

    /// The envelope up to `"id":`; the script appends `<id>,"peak_viewers":<peak>,"epoch":"<epoch>"}`.
    static func prefix(sender: ClusterSender, streamID: StreamID, request: PublishRequest, acceptedAtNanos: Int64) -> [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        sender.write(to: &writer)
        writer.key("stream_id")
        writer.string(streamID.rawValue)
        writer.key("event")
        writer.string(request.event.rawValue)
        writer.key("accepted_at_ns")
        writer.integer(acceptedAtNanos)
        writer.key("data")
        writer.beginObject()
        writer.members(request.members)
        writer.endObject()
        writer.key("id")
        return writer.bytes
    }

    /// Reads an envelope, checking every field.
    init(decoding payload: [UInt8]) throws(ClusterMessageError) {
        let fields = try MessageFields(payload)
        let sender = try ClusterSender(fields)
        guard let streamID = StreamID(try fields.string("stream_id")) else { throw .invalid("stream_id") }
        guard let event = PublishedEvent(rawValue: try fields.string("event")) else { throw .invalid("event") }
        guard let data = JSONScanner.members(ofObject: try fields.value("data")) else { throw .invalid("data") }
        let eventID = try fields.integer("id", in: 1...ClusterLimits.maxEventID)
        let peak = try fields.integer("peak_viewers", in: 0...ClusterLimits.maxViewers)
        guard let epoch = StreamEpoch(try fields.string("epoch")) else { throw .invalid("epoch") }
        let now = Timestamp.nanosecondsSince1970()
        self.acceptedAtNanos = try fields.integer(
            "accepted_at_ns", in: (now - ClusterLimits.maxClockSkewNanos)...(now + ClusterLimits.maxClockSkewNanos))
        self.sender = sender
        self.streamID = streamID
        self.request = PublishRequest(event: event, members: data)
        self.eventID = UInt64(eventID)
        self.peakViewers = Int(peak)
        self.epoch = epoch
    }

    /// What the publish script assigned, as the hub applies it.
    var assignment: EventAssignment {
        EventAssignment(eventID: eventID, epoch: epoch, peakViewers: peakViewers, wallClock: Timestamp(nanosecondsSince1970: acceptedAtNanos))
    }
}

/// Why a message from Redis was dropped.
enum ClusterMessageError: Error, Equatable, CustomStringConvertible {
    case notJSON(JSONSyntaxError)
    case notAnObject
    case missing(String)
    case invalid(String)
    case outOfRange(String)

    var description: String {
        switch self {
        case .notJSON(let error): "not JSON: \(error)"
        case .notAnObject: "not a JSON object"
        case .missing(let field): "no \"\(field)\" field"
        case .invalid(let field): "\"\(field)\" has the wrong type or value"
        case .outOfRange(let field): "\"\(field)\" is out of range"
        }
    }
}

/// The members of one message, looked up by name.
struct MessageFields {
    let members: [JSONMember]

    /// Validates a whole message and reads its top-level members.
    init(_ payload: [UInt8]) throws(ClusterMessageError) {
        let object: [JSONMember]?
        do {
            object = try JSONScanner.object(in: payload[...])
        } catch {
            throw .notJSON(error)
        }
        guard let members = object else { throw .notAnObject }
        self.members = members
    }

    func value(_ key: String) throws(ClusterMessageError) -> ArraySlice<UInt8> {
        guard let value = members.last(where: { $0.key == key })?.value else { throw .missing(key) }
        return value
    }

    func string(_ key: String) throws(ClusterMessageError) -> String {
        guard let string = JSONScanner.string(try value(key)) else { throw .invalid(key) }
        return string
    }

    func boolean(_ key: String) throws(ClusterMessageError) -> Bool {
        switch String(decoding: try value(key), as: UTF8.self) {
        case "true": return true
        case "false": return false
        default: throw .invalid(key)
        }
    }

    func integer(_ key: String) throws(ClusterMessageError) -> Int64 {
        guard let integer = JSONScanner.integer(try value(key)) else { throw .invalid(key) }
        return integer
    }

    /// An integer field that must fall in `range`.
    func integer(_ key: String, in range: ClosedRange<Int64>) throws(ClusterMessageError) -> Int64 {
        let integer = try integer(key)
        guard range.contains(integer) else { throw .outOfRange(key) }
        return integer
    }
}

/// Who sent a message: the node's name and the process, so a node skips its own messages and two
/// processes configured with the same `--node-id` are noticed.
struct ClusterSender: Sendable, Equatable {
    let node: String
    let instance: Int64

    init(node: String, instance: Int64) {
        self.node = node
        self.instance = instance
    }

    init(_ fields: MessageFields) throws(ClusterMessageError) {
        self.node = try fields.string("node")
        self.instance = try fields.integer("instance")
    }

    func write(to writer: inout JSONWriter) {
        writer.key("node")
        writer.string(node)
        writer.key("instance")
        writer.integer(instance)
    }
}
