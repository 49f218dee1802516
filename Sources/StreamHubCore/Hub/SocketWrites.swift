/// How viewers' frames reach their sockets: `--socket-writes direct|channel`.
public struct SocketWrites: Sendable, Hashable, CustomStringConvertible {
    private enum Kind: String, Sendable, Hashable {
        case direct
        case channel
    }

    private let kind: Kind

    /// Straight to the socket with `send(2)` while its channel's queue is empty (the default):
    /// less CPU per delivery (BENCHMARKS.md); falls back to ``channel`` by itself where it cannot.
    public static var direct: Self { .init(kind: .direct) }
    /// Through SwiftNIO's channel pipeline only, with its public API.
    public static var channel: Self { .init(kind: .channel) }

    /// `direct` or `channel`.
    public init?(_ name: String) {
        guard let kind = Kind(rawValue: name) else { return nil }
        self.kind = kind
    }

    private init(kind: Kind) {
        self.kind = kind
    }

    public var description: String { kind.rawValue }
}
