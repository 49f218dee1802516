import Foundation
import NIOCore
import NIOPosix
import StreamHubTestSupport

/// A real nginx with Debian's RTMP module, running `deploy/ingest/nginx-rtmp.conf` on a free loopback
/// port with its callbacks pointed at a hub; one process (`master_process off`), so SIGKILL is a crash.
final class NginxRTMPServer: Sendable {
    static let module = "/usr/lib/nginx/modules/ngx_rtmp_module.so"

    /// Whether the tests that need nginx-rtmp and ffmpeg should run: installed, or required (and then they fail).
    static var shouldRun: Bool {
        (IntegrationTool.path("nginx") != nil && FileManager.default.fileExists(atPath: module) && IntegrationTool.path("ffmpeg") != nil)
            || IntegrationTool.required
    }

    let port: Int
    private let process: Process
    private let directory: URL

    /// - Parameters:
    ///   - hubPort: Where the callbacks go.
    ///   - secret: The `?secret=` the callbacks carry.
    ///   - notifyMethod: `post` (the module's default) or `get`.
    ///   - updateEvery: `notify_update_timeout`.
    init(hubPort: Int, secret: String, notifyMethod: String = "post", updateEvery seconds: Int = 1) async throws {
        let nginx = try IntegrationTool.require("nginx")
        guard FileManager.default.fileExists(atPath: Self.module) else {
            throw TestFailure("nginx's RTMP module is not installed (apt-get install libnginx-mod-rtmp)")
        }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("streamhub-nginx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let example = try String(contentsOf: Repository.file("deploy/ingest/nginx-rtmp.conf"), encoding: .utf8)
        // A port free a moment ago may be taken by the time nginx binds it: then nginx exits, and another is tried.
        for _ in 0..<5 {
            let candidate = try freePort()
            let rtmp =
                example
                .replacingOccurrences(of: "listen 1935;", with: "listen 127.0.0.1:\(candidate);")
                .replacingOccurrences(of: "127.0.0.1:8080", with: "127.0.0.1:\(hubPort)")
                .replacingOccurrences(of: "REPLACE_WITH_INGEST_SECRET", with: secret)
                .replacingOccurrences(of: "notify_update_timeout 30s;", with: "notify_update_timeout \(seconds)s;")
                .replacingOccurrences(of: "live on;", with: notifyMethod == "get" ? "live on;\n            notify_method get;" : "live on;")
            let configuration = """
                load_module \(Self.module);
                daemon off;
                master_process off;
                worker_processes 1;
                pid \(directory.path)/nginx.pid;
                error_log \(directory.path)/error.log info;
                events { worker_connections 64; }
                \(rtmp)
                """
            let file = directory.appendingPathComponent("nginx.conf")
            try configuration.write(to: file, atomically: true, encoding: .utf8)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: nginx)
            process.arguments = ["-c", file.path, "-p", directory.path, "-e", "\(directory.path)/error.log"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            if try await Self.accepts(candidate, while: process) {
                self.port = candidate
                self.process = process
                return
            }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        let log = (try? String(contentsOf: directory.appendingPathComponent("error.log"), encoding: .utf8)) ?? ""
        throw TestFailure("nginx did not start on a port of its own: \(log)")
    }

    /// The RTMP URL a broadcaster publishes `name` (and its query) to, in the example's `live` application.
    func url(_ name: String) -> String { "rtmp://127.0.0.1:\(port)/live/\(name)" }

    /// What nginx logged, for failure messages.
    var errorLog: String { (try? String(contentsOf: directory.appendingPathComponent("error.log"), encoding: .utf8)) ?? "" }

    /// A crash: SIGKILL, so nginx sends no more callbacks.
    func crash() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    deinit {
        crash()
        try? FileManager.default.removeItem(at: directory)
    }

    private static func accepts(_ port: Int, while process: Process) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline, process.isRunning {
            if let channel = try? await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: port).get() {
                try? await channel.close()
                // Another nginx could hold the port; this one is ours only if it is still running.
                try await Task.sleep(for: .milliseconds(100))
                return process.isRunning
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }
}

/// ffmpeg pushing a generated test pattern over RTMP, as a broadcaster's encoder would.
final class FFmpegBroadcast: Sendable {
    private let process: Process

    /// The arguments of a `seconds`-long broadcast of a 64×64 pattern at 5 frames a second.
    static func arguments(to url: String, seconds: Int) -> [String] {
        [
            "-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi", "-i", "testsrc=size=64x64:rate=5", "-t", "\(seconds)",
            "-c:v", "flv1", "-f", "flv", url,
        ]
    }

    /// Broadcasts to the end and gives ffmpeg's exit status; bounded by `seconds` plus 20.
    static func run(to url: String, seconds: Int) async throws -> ChildProcess.Result {
        try await ChildProcess.run(
            URL(fileURLWithPath: try IntegrationTool.require("ffmpeg")), arguments(to: url, seconds: seconds), timeout: .seconds(seconds + 20))
    }

    /// Starts a broadcast in the background; it is killed when this is released, if not before.
    init(startingTo url: String, seconds: Int) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: try IntegrationTool.require("ffmpeg"))
        process.arguments = Self.arguments(to: url, seconds: seconds)
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}
