/// The query string of a viewer URL, `…/ws?since=12&epoch=Ab3`, by parameter name.
///
/// Values are taken as they are, without percent-decoding: the viewer parameters' alphabets need
/// none, and an encoded character fails their validation. A repeated name keeps its first value.
struct ViewerQuery {
    private let parameters: [Substring: Substring]

    init(uri: String) {
        var parameters: [Substring: Substring] = [:]
        if let start = uri.firstIndex(of: "?") {
            for pair in uri[uri.index(after: start)...].split(separator: "&") {
                let name = pair.prefix { $0 != "=" }
                let value = pair.dropFirst(name.count + 1)
                if parameters[name] == nil { parameters[name] = value }
            }
        }
        self.parameters = parameters
    }

    subscript(name: Substring) -> Substring? { parameters[name] }
}
