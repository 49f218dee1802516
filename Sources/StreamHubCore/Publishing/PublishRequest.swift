/// A validated publish: the event and the publisher's `data` members, kept as their source bytes.
public struct PublishRequest: Sendable, Equatable {
    /// Largest accepted request body, in bytes.
    public static let maxBodyBytes = 64 * 1024

    /// Fields the hub sets itself; publisher fields of these names are dropped.
    static let hubFields: Set<String> = ["stream_id", "timestamp"]

    public let event: PublishedEvent
    /// The publisher's `data` members, without the ones the hub sets for this event.
    public let members: [JSONMember]

    public init(event: PublishedEvent, members: [JSONMember]) {
        let overwritten = event == .streamEnded ? Self.hubFields.union(["peak_viewers"]) : Self.hubFields
        self.event = event
        self.members = members.filter { !overwritten.contains($0.key) }
    }

    /// The publisher's `data` members as one JSON object.
    public var dataObject: [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        writer.members(members)
        writer.endObject()
        return writer.bytes
    }

    /// Parses `{"event": "...", "data": {...}}`; `data` may be left out and means `{}`.
    public init(body: ArraySlice<UInt8>) throws(PublishError) {
        guard body.count <= Self.maxBodyBytes else {
            throw .payloadTooLarge(bytes: body.count, limit: Self.maxBodyBytes)
        }
        let object: [JSONMember]?
        do {
            object = try JSONScanner.object(in: body)
        } catch {
            throw .malformedJSON(error)
        }
        guard let top = object else { throw .notAnObject }
        guard let eventValue = top.last(where: { $0.key == "event" })?.value else { throw .missingEvent }
        guard let name = JSONScanner.string(eventValue) else { throw .eventNotAString }
        guard let event = PublishedEvent(rawValue: name) else {
            throw PublishedEvent.serverOnlyNames.contains(name) ? .serverOnlyEvent(name) : .unknownEvent(name)
        }
        var members: [JSONMember] = []
        if let data = top.last(where: { $0.key == "data" })?.value {
            guard let dataMembers = JSONScanner.members(ofObject: data) else { throw .dataNotAnObject }
            members = dataMembers
        }
        self.init(event: event, members: members)
    }
}
