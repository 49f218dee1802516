import NIOConcurrencyHelpers
import NIOCore
import StreamHubRedis
import StreamHubTestSupport
import Testing

@Suite(.timeLimit(.minutes(1))) struct RESPTests {
    static let wire = "+OK\r\n-ERR wrong\r\n:-42\r\n$5\r\nhe\r\no\r\n$-1\r\n*3\r\n$3\r\nfoo\r\n*1\r\n:7\r\n*-1\r\n*0\r\n"
    static let values: [RESPValue] = [
        .simpleString("OK"), .error("ERR wrong"), .integer(-42), .bulkString(Array("he\r\no".utf8)), .bulkString(nil),
        .array([.bulkString(Array("foo".utf8)), .array([.integer(7)]), .array(nil)]), .array([]),
    ]

    @Test(arguments: [1, 3, 7, 64, 1024])
    func decodesValuesSplitAcrossChunks(chunkSize: Int) throws {
        let bytes = Array(Self.wire.utf8)
        var buffer = ByteBuffer()
        var decoded: [RESPValue] = []
        var decoder = RESPDecoder()
        for start in stride(from: 0, to: bytes.count, by: chunkSize) {
            buffer.writeBytes(bytes[start..<min(bytes.count, start + chunkSize)])
            while let value = try decoder.next(&buffer) { decoded.append(value) }
        }
        #expect(decoded == Self.values)
        #expect(buffer.readableBytes == 0)
    }

    @Test(arguments: [
        "?x\r\n", ":12a\r\n", "$-2\r\n", "$3\r\nabcde\r\n", "*-5\r\n", "*2000000\r\n", "$99999999999\r\n", "+a\rb\r\n",
        String(repeating: "*1\r\n", count: 40) + ":1\r\n", "+" + String(repeating: "x", count: 70_000),
    ])
    func refusesWhatIsNotRESPOrTooLarge(wire: String) {
        var buffer = ByteBuffer(string: wire)
        var decoder = RESPDecoder()
        #expect(throws: RedisError.self) { while try decoder.next(&buffer) != nil {} }
    }

    @Test func aHugeDeclaredArrayCostsOnlyWhatArrivedAndNothingIsParsedTwice() throws {
        var decoder = RESPDecoder()
        var buffer = ByteBuffer(string: "*1000000\r\n")
        #expect(try decoder.next(&buffer) == nil)
        #expect(buffer.readableBytes == 0, "the header is consumed once")
        for _ in 0..<999 { buffer.writeString(":1\r\n") }
        buffer.writeString(":")  // an element cut short stays in the buffer
        #expect(try decoder.next(&buffer) == nil)
        #expect(buffer.readableBytes == 1, "every whole element is consumed as it arrives")
        var small = RESPDecoder()
        var split = ByteBuffer(string: "*2\r\n:1\r\n")
        #expect(try small.next(&split) == nil)
        split.writeString(":2\r\n")
        #expect(try small.next(&split) == .array([.integer(1), .integer(2)]))
    }

    @Test func encodesCommandsAsArraysOfBulkStrings() {
        var buffer = ByteBuffer()
        RESPEncoder.write(RedisCommand("SET", ["key", "välue"]), to: &buffer)
        #expect(String(buffer: buffer) == "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$6\r\nvälue\r\n")
        #expect(RedisCommand("AUTH", ["user", "secret"]).description == "AUTH (2 arguments)", "never shows arguments")
    }

    @Test func parsesRedisURLs() throws {
        let full = try RedisURL("rediss://app:p%40ss@redis.internal:6380/2")
        #expect(full.useTLS && full.host == "redis.internal" && full.port == 6380 && full.database == 2)
        #expect(full.user == "app" && full.password == "p@ss")
        #expect(full.description == "rediss://app:***@redis.internal:6380/2")
        let plain = try RedisURL("redis://127.0.0.1:6379")
        #expect(!plain.useTLS && plain.password == nil && plain.database == 0)
        #expect(try RedisURL("redis://:secret@h:1/").password == "secret")
        for bad in ["http://h:1", "redis://h", "redis://h:0", "redis://:1", "redis://h:1/x", "redis://h:99999"] {
            #expect(throws: RedisURLError.self, "\(bad)") { try RedisURL(bad) }
        }
    }
}

@Suite(.enabled(if: RedisServer.shouldRun, "redis-server is not installed"), .timeLimit(.minutes(1)))
struct RedisConnectionTests {
    @Test func pipelinedRepliesArriveInOrder() async throws {
        let server = try await RedisServer()
        defer { server.stop() }
        let connection = try await RedisConnection.connect(to: server.url)
        let replies = try await withThrowingTaskGroup(of: Int64.self) { group in
            for _ in 0..<200 { group.addTask { try await connection.send(RedisCommand("INCR", ["counter"])).integer ?? -1 } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(replies) == Set(1...200))
        #expect(try await connection.send(RedisCommand("GET", ["counter"])).string == "200")
        await #expect(throws: RedisError.server("ERR unknown command 'NOPE', with args beginning with: ")) {
            try await connection.send(RedisCommand("NOPE"))
        }
        #expect(try await connection.send(RedisCommand("PING")).string == "PONG", "an error reply leaves the pipeline usable")
        await connection.close()
    }

    @Test func authenticatesAndSelectsTheDatabaseFromTheURL() async throws {
        let server = try await RedisServer(password: "s3cret")
        defer { server.stop() }
        let connection = try await RedisConnection.connect(to: try RedisURL("redis://:s3cret@127.0.0.1:\(server.port)/3"))
        _ = try await connection.send(RedisCommand("SET", ["k", "v"]))
        #expect(try await connection.send(RedisCommand("CLIENT", ["INFO"])).string?.contains("db=3") == true)
        await connection.close()
        await #expect(throws: RedisError.self) {
            _ = try await RedisConnection.connect(to: try RedisURL("redis://:wrong@127.0.0.1:\(server.port)"))
        }
    }

    @Test func publishedMessagesReachASubscriber() async throws {
        let server = try await RedisServer()
        defer { server.stop() }
        let subscriber = try await RedisConnection.connect(to: server.url)
        let received = Received()
        try await subscriber.subscribe(to: ["events", "counts"]) { channel, payload in received.add(channel, payload) }
        let publisher = try await RedisConnection.connect(to: server.url)
        #expect(try await publisher.send(RedisCommand("PUBLISH", ["events", "hello"])).integer == 1)
        #expect(try await publisher.send(RedisCommand("PUBLISH", ["counts", "7"])).integer == 1)
        let deadline = ContinuousClock.now + .seconds(5)
        while received.all.count < 2, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(received.all.map(\.0) == ["events", "counts"])
        #expect(received.all.map { String(decoding: $0.1, as: UTF8.self) } == ["hello", "7"])
        await subscriber.close()
        await publisher.close()
    }

    @Test func aCommandWithoutReplyTimesOutAndClosesTheConnection() async throws {
        let server = try await RedisServer()
        defer { server.stop() }
        // One timeout covers the connect too: 2 s leaves room for a loaded machine, the sleep outlasts it.
        let connection = try await RedisConnection.connect(to: server.url, timeout: .seconds(2))
        await #expect(throws: RedisError.timeout) { try await connection.send(RedisCommand("DEBUG", ["SLEEP", "5"])) }
        try await eventually("the timed-out connection closed") { connection.isOpen ? nil : true }
    }

    @Test func pendingCommandsFailWhenRedisGoesAway() async throws {
        let server = try await RedisServer()
        let connection = try await RedisConnection.connect(to: server.url, timeout: .seconds(5))
        server.stop()
        try await eventually("the connection saw Redis go") { connection.isOpen ? nil : true }
        await #expect(throws: (any Error).self) { try await connection.send(RedisCommand("PING")) }
    }
}

private final class Received: Sendable {
    private let storage = NIOLockedValueBox<[(String, [UInt8])]>([])
    var all: [(String, [UInt8])] { storage.withLockedValue { $0 } }
    func add(_ channel: String, _ payload: [UInt8]) { storage.withLockedValue { $0.append((channel, payload)) } }
}
