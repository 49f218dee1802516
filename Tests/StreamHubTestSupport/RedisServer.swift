import Foundation
import StreamHubRedis

/// A real redis-server on a free loopback port, stopped when the test ends.
public final class RedisServer: Sendable {
    public let port: Int
    private let process: Process

    public static var shouldRun: Bool {
        path != nil || ProcessInfo.processInfo.environment["STREAMHUB_REQUIRE_INTEGRATION"] == "1"
    }

    static var path: String? {
        ["/usr/bin/redis-server", "/usr/local/bin/redis-server"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// - Parameters:
    ///   - password: Makes the server require it (`--requirepass`).
    ///   - port: The port, to restart a server where it was; a free one by default.
    public init(password: String? = nil, port: Int? = nil) async throws {
        guard let path = Self.path else {
            throw TestFailure(
                "redis-server is not installed (apt-get install redis-server); STREAMHUB_REQUIRE_INTEGRATION=1 makes that a failure")
        }
        // A port free a moment ago may be another test's by now: then this server cannot bind it,
        // and connecting would reach the other one. So each attempt checks it reached its own process.
        for _ in 0..<5 {
            let candidate = try port ?? freePort()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: path)
            process.arguments =
                ["--port", "\(candidate)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "warning"]
                + ["--enable-debug-command", "local"]
                + (password.map { ["--requirepass", $0] } ?? [])
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let url = try RedisURL("redis://\(password.map { ":\($0)@" } ?? "")127.0.0.1:\(candidate)")
            if try await Self.reachesItself(process, at: url) {
                self.port = candidate
                self.process = process
                return
            }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        throw TestFailure("redis-server did not start on a port of its own")
    }

    /// Waits until the server at `url` answers, and says whether it is `process`.
    private static func reachesItself(_ process: Process, at url: RedisURL) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline, process.isRunning {
            if let connection = try? await RedisConnection.connect(to: url) {
                let info = try? await connection.send(RedisCommand("INFO", ["server"]))
                await connection.close()
                let text = String(decoding: info?.bytes ?? [], as: UTF8.self)
                return text.contains("process_id:\(process.processIdentifier)\r")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    public var url: RedisURL { try! RedisURL("redis://127.0.0.1:\(port)") }

    public func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    deinit { stop() }
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
public func freePort() throws -> Int {
    let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(socketFD) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socketFD, $0, length) == 0 && getsockname(socketFD, $0, &length) == 0 }
    }
    guard bound else { throw TestFailure("bind() failed") }
    return Int(UInt16(bigEndian: address.sin_port))
}
