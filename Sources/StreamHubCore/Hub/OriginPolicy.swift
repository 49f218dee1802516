/// The `Origin` values allowed to open viewer connections; requests without `Origin` always pass.
public struct OriginPolicy: Sendable, Hashable, CustomStringConvertible {
    private enum Kind: Sendable, Hashable {
        case any
        case exactly(Set<String>)
    }

    private let kind: Kind

    /// Every origin is allowed (`*`).
    public static var any: Self { .init(kind: .any) }

    /// Only these exact origins, such as `https://player.example.com`; a `*` among them allows all.
    public static func only(_ origins: some Sequence<String>) -> Self {
        let set = Set(origins)
        return set.contains("*") ? .any : .init(kind: .exactly(set))
    }

    public func allows(_ origin: String?) -> Bool {
        guard let origin else { return true }
        switch kind {
        case .any: return true
        case .exactly(let origins): return origins.contains(origin)
        }
    }

    public var description: String {
        switch kind {
        case .any: "*"
        case .exactly(let origins): origins.sorted().joined(separator: ",")
        }
    }
}
