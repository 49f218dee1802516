import Foundation
import StreamHubTestSupport
import Synchronization

/// The built `streamhub` executable, run as a child process on a free port.
final class HubProcess: Sendable {
    let process: Process
    private let output: LogBuffer
    let port: Int

    /// The executable next to the test bundle, which `swift build` puts in the same folder.
    static var executable: URL {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("streamhub")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".build/debug/streamhub")
    }

    /// Runs `streamhub` with `arguments` until it exits, returning its status and output.
    static func runToExit(_ arguments: [String], environment: [String: String] = [:]) async throws -> ChildProcess.Result {
        try await ChildProcess.run(executable, arguments, environment: environment)
    }

    /// Starts `streamhub --port 0` with `arguments` and waits until it listens; `token: nil` lets it
    /// generate one; `openFiles` starts it with that open-file limit (soft and hard).
    init(_ arguments: [String], token: String? = TestHub.token, openFiles: Int? = nil) async throws {
        let process = Process()
        let hubArguments = ["--host", "127.0.0.1", "--port", "0"] + (token.map { ["--publish-token", $0] } ?? []) + arguments
        if let openFiles {
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "ulimit -n \(openFiles) && exec \"$0\" \"$@\"", Self.executable.path] + hubArguments
        } else {
            process.executableURL = Self.executable
            process.arguments = hubArguments
        }
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = FileHandle.nullDevice
        let output = LogBuffer()
        pipe.fileHandleForReading.readabilityHandler = { handle in
            output.append(String(decoding: handle.availableData, as: UTF8.self))
        }
        try process.run()
        self.process = process
        self.output = output
        self.port = try await eventually(timeout: .seconds(10), "streamhub to listen") {
            let log = output.text
            guard let match = log.firstMatch(of: /listening on 127\.0\.0\.1:(\d+)/) else { return nil }
            return Int(match.1)
        }
    }

    var log: String { output.text }

    /// The process's resident memory (`VmRSS`), in bytes.
    func residentBytes() throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kilobytes = line.split(whereSeparator: \.isWhitespace).dropFirst().first.flatMap({ Int($0) })
        else { throw TestFailure("no VmRSS for \(process.processIdentifier)") }
        return kilobytes * 1024
    }

    func terminate() { process.terminate() }

    /// Waits for the process to exit and returns its status.
    func exitStatus(timeout: Duration) async throws -> Int32 {
        try await eventually(timeout: timeout, "streamhub to exit") { self.process.isRunning ? nil : self.process.terminationStatus }
    }

    deinit {
        if process.isRunning {
            process.interrupt()
            kill(process.processIdentifier, SIGKILL)
        }
    }
}

/// Text a child process wrote, appended from its pipe's handler.
final class LogBuffer: Sendable {
    private let storage = Mutex("")
    var text: String { storage.withLock { $0 } }
    func append(_ text: String) { storage.withLock { $0 += text } }
}
