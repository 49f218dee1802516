/// One member of a JSON object: its decoded key and the exact source bytes of its value.
public struct JSONMember: Sendable, Equatable {
    public let key: String
    public let value: ArraySlice<UInt8>
}
