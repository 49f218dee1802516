import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle
import StreamHubRedis
import StreamHubTestSupport
import Testing

@Suite(.enabled(if: RedisServer.shouldRun, "redis-server is not installed"), .timeLimit(.minutes(1)))
struct RedisLinkTests {
    @Test func linkComesBackAndResubscribesAfterRedisRestarts() async throws {
        var server = try await RedisServer()
        let port = server.port
        let messages = NIOLockedValueBox<[String]>([])
        let changes = NIOLockedValueBox<[Bool]>([])
        let link = RedisLink(
            configuration: .init(url: server.url, channels: ["events"], backoffMax: .milliseconds(300)),
            logger: Logger(label: "redis-link-test"),
            onMessage: { _, payload in messages.withLockedValue { $0.append(String(decoding: payload, as: UTF8.self)) } },
            onLinkChange: { up in changes.withLockedValue { $0.append(up) } }
        )
        let group = ServiceGroup(services: [link], logger: Logger(label: "redis-link-test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await eventually("link up") { link.isUp ? true : nil }
            try await link.send(RedisCommand("PUBLISH", ["events", "before"]))
            try await eventually("first message") { messages.withLockedValue { $0 } == ["before"] ? true : nil }

            server.stop()
            try await eventually("link down") { !link.isUp ? true : nil }
            await #expect(throws: RedisError.connectionClosed) { try await link.send(RedisCommand("PING")) }

            server = try await RedisServer(port: port)
            try await eventually(timeout: .seconds(10), "link back up") { link.isUp ? true : nil }
            try await link.send(RedisCommand("PUBLISH", ["events", "after"]))
            try await eventually("message after the restart") { messages.withLockedValue { $0 } == ["before", "after"] ? true : nil }
            #expect(link.reconnects >= 1)
            #expect(changes.withLockedValue { $0 }.prefix(3) == [true, false, true])

            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        server.stop()
    }

    @Test func redisUnreachableAtStartIsRetriedUntilItComes() async throws {
        let port = try freePort()
        let link = RedisLink(
            configuration: .init(url: try RedisURL("redis://127.0.0.1:\(port)"), channels: ["events"], backoffMax: .milliseconds(200)),
            logger: Logger(label: "redis-link-test"),
            onMessage: { _, _ in }
        )
        let group = ServiceGroup(services: [link], logger: Logger(label: "redis-link-test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await eventually("a retry") { link.reconnects >= 1 ? true : nil }
            #expect(!link.isUp)
            let server = try await RedisServer(port: port)
            try await eventually(timeout: .seconds(10), "link up") { link.isUp ? true : nil }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            server.stop()
        }
    }
}
