import StreamHubCore

/// `--ingest-stream-id`: literal text around `{app}` and `{name}`, expanded with a callback's values.
public struct StreamIDTemplate: Sendable, Equatable, CustomStringConvertible {
    enum Part: Sendable, Equatable {
        case literal(String)
        case app
        case name
    }

    /// Why a pattern cannot make stream ids.
    public enum Invalid: Error, Equatable, CustomStringConvertible {
        case unknownPlaceholder(String)
        case noPlaceholder
        case badLiteral(String)

        public var description: String {
            switch self {
            case .unknownPlaceholder(let text): "unknown placeholder \(text.prefix(32)); use {app} and {name}"
            case .noPlaceholder: "the pattern must hold {name} or {app}"
            case .badLiteral(let text): "\"\(text.prefix(32))\" cannot be part of a stream id (\(StreamID.validationMessage))"
            }
        }
    }

    /// The default: the stream name alone.
    public static let name = StreamIDTemplate(parts: [.name], description: "{name}")

    let parts: [Part]
    public let description: String

    private init(parts: [Part], description: String) {
        self.parts = parts
        self.description = description
    }

    /// Parses a pattern such as `{name}` or `{app}-{name}`.
    public init(_ pattern: String) throws(Invalid) {
        var parts: [Part] = []
        var rest = Substring(pattern)
        while !rest.isEmpty {
            if rest.first == "{" {
                let placeholder = rest.prefix { $0 != "}" }
                guard placeholder.count < rest.count else { throw .unknownPlaceholder(String(placeholder)) }
                switch placeholder {
                case "{app": parts.append(.app)
                case "{name": parts.append(.name)
                default: throw .unknownPlaceholder(String(placeholder) + "}")
                }
                rest = rest.dropFirst(placeholder.count + 1)
            } else {
                let literal = rest.prefix { $0 != "{" }
                guard StreamID(literal) != nil else { throw .badLiteral(String(literal)) }
                parts.append(.literal(String(literal)))
                rest = rest.dropFirst(literal.count)
            }
        }
        guard parts.contains(where: { !Self.isLiteral($0) }) else { throw .noPlaceholder }
        self.init(parts: parts, description: pattern)
    }

    /// The stream id for a callback's application and stream name; `nil` when it is not a valid one.
    public func streamID(app: String, name: String) -> StreamID? {
        var id = ""
        for part in parts {
            switch part {
            case .literal(let text): id += text
            case .app: id += app
            case .name: id += name
            }
            if id.utf8.count > StreamID.maxLength { return nil }
        }
        return StreamID(id)
    }

    private static func isLiteral(_ part: Part) -> Bool {
        if case .literal = part { return true }
        return false
    }
}
