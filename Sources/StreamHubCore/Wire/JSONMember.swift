/// One member of a JSON object: its decoded key and the exact source bytes of its value.
public struct JSONMember: Sendable, Equatable {
    public let key: String
    public let value: ArraySlice<UInt8>
}

extension JSONMember {
    /// A member whose value is the JSON string `value`.
    public init(key: String, string value: String) {
        var writer = JSONWriter(capacity: value.utf8.count + 2)
        writer.string(value)
        self.init(key: key, value: writer.bytes[...])
    }
}
