import StreamHubCore

/// A token's `streams` claim: which streams it lets its bearer watch. A permission, not a
/// subscription list: each entry is an exact id, a prefix ending in `*`, or `*` for every stream.
struct StreamsClaim: Sendable, Equatable {
    let entries: [String]

    func covers(_ streamID: StreamID) -> Bool {
        entries.contains { entry in
            entry.hasSuffix("*") ? streamID.rawValue.hasPrefix(entry.dropLast()) : entry == streamID.rawValue
        }
    }
}
