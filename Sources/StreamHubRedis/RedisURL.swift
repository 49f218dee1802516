/// Where Redis is: `redis[s]://[user:password@]host:port[/db]`.
public struct RedisURL: Sendable, Equatable, CustomStringConvertible {
    public let useTLS: Bool
    public let host: String
    public let port: Int
    public let user: String?
    public let password: String?
    public let database: Int

    /// Parses the URL; the error names what is wrong.
    public init(_ text: String) throws(RedisURLError) {
        let rest: Substring
        if text.hasPrefix("redis://") {
            useTLS = false
            rest = text.dropFirst("redis://".count)
        } else if text.hasPrefix("rediss://") {
            useTLS = true
            rest = text.dropFirst("rediss://".count)
        } else {
            throw RedisURLError("must start with redis:// or rediss://")
        }
        var authority = rest.prefix { $0 != "/" }
        let path = rest.dropFirst(authority.count)
        if let at = authority.lastIndex(of: "@") {
            let credentials = authority[..<at]
            authority = authority[authority.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                let name = credentials[..<colon]
                user = name.isEmpty ? nil : String(name)
                password = String(credentials[credentials.index(after: colon)...]).removingPercentEncoding()
            } else {
                user = nil
                password = String(credentials).removingPercentEncoding()
            }
        } else {
            user = nil
            password = nil
        }
        guard let colon = authority.lastIndex(of: ":") else { throw RedisURLError("needs host:port") }
        host = String(authority[..<colon]).trimmingBrackets()
        guard !host.isEmpty else { throw RedisURLError("has no host") }
        guard let port = Int(authority[authority.index(after: colon)...]), (1...65_535).contains(port) else {
            throw RedisURLError("port must be from 1 to 65535")
        }
        self.port = port
        if path.isEmpty || path == "/" {
            database = 0
        } else {
            guard let database = Int(path.dropFirst()), database >= 0 else { throw RedisURLError("database must be a number, as in /0") }
            self.database = database
        }
    }

    /// The URL with the password replaced, for logs.
    public var description: String {
        let credentials = password == nil ? "" : "\(user ?? ""):***@"
        return "\(useTLS ? "rediss" : "redis")://\(credentials)\(host):\(port)/\(database)"
    }
}

/// A `--redis-url` that cannot be used, and why.
public struct RedisURLError: Error, Equatable, CustomStringConvertible {
    public let problem: String
    init(_ problem: String) { self.problem = problem }
    public var description: String { "the Redis URL \(problem) (redis[s]://[user:password@]host:port[/db])" }
}

extension String {
    fileprivate func removingPercentEncoding() -> String {
        var bytes: [UInt8] = []
        var iterator = utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%"), let high = iterator.next(), let low = iterator.next(),
                let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
            {
                bytes.append(value)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    fileprivate func trimmingBrackets() -> String {
        hasPrefix("[") && hasSuffix("]") ? String(dropFirst().dropLast()) : self
    }
}
