import NIOCore
import NIOPosix
import StreamHubTestSupport

/// One plain TCP connection that sends HTTP/1.1 bytes exactly as written, for keep-alive and pipelining.
enum RawHTTPConnection {
    /// An answer read off the wire.
    struct Answer: Sendable {
        let status: Int
        /// Header names lowercased.
        let headers: [String: String]
        let body: String
        /// Whether the whole body (its `Content-Length`) arrived.
        var complete = true
    }

    /// Writes `requests` in one write, then reads answers until the server closes the connection (or,
    /// with `answers`, until that many arrived whole); throws if it has not closed it within 5 s.
    static func exchange(port: Int, _ requests: String, answers expected: Int? = nil) async throws -> [Answer] {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(5))
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
        let timeout = channel.channel.eventLoop.scheduleTask(in: .seconds(5)) { channel.channel.close(promise: nil) }
        var received = ByteBuffer()
        try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: requests))
            for try await chunk in inbound {
                received.writeImmutableBuffer(chunk)
                if let expected, let answers = try? parse(String(buffer: received)), answers.count >= expected, answers.last?.complete == true {
                    break
                }
            }
        }
        timeout.cancel()
        if (try? await timeout.futureResult.get()) != nil { throw TestFailure("the server kept the connection open") }
        return try parse(String(buffer: received))
    }

    private static func parse(_ text: String) throws -> [Answer] {
        var answers: [Answer] = []
        var rest = Substring(text)
        while let headEnd = rest.range(of: "\r\n\r\n") {
            let lines = rest[..<headEnd.lowerBound].split(separator: "\r\n")
            guard let statusLine = lines.first, let status = Int(statusLine.split(separator: " ")[1]) else {
                throw TestFailure("not an HTTP answer: \(rest.prefix(80))")
            }
            var headers: [String: String] = [:]
            for line in lines.dropFirst() {
                let (name, value) = (line.prefix { $0 != ":" }, line.drop { $0 != ":" }.dropFirst())
                headers[name.lowercased()] = value.trimmingPrefix(" ").description
            }
            let length = Int(headers["content-length"] ?? "0") ?? 0
            let body = rest[headEnd.upperBound...].utf8.prefix(length)
            answers.append(Answer(status: status, headers: headers, body: String(decoding: body, as: UTF8.self), complete: body.count == length))
            rest = Substring(rest[headEnd.upperBound...].utf8.dropFirst(length))
        }
        return answers
    }
}
