import Foundation
import StreamHubTestSupport

/// Runs a program to its end without blocking a thread of the test's cooperative pool: output is
/// collected by the pipes' handlers and the exit is polled; killed if it outlives its timeout.
enum ChildProcess {
    struct Result: Sendable {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    static func run(
        _ executable: URL,
        _ arguments: [String],
        input: Data? = nil,
        environment: [String: String] = [:],
        directory: URL? = nil,
        timeout: Duration = .seconds(60)
    ) async throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        if let directory { process.currentDirectoryURL = directory }
        let stdout = LogBuffer()
        let stderr = LogBuffer()
        let outputPipe = Pipe()
        let errorPipe = Pipe()
        outputPipe.fileHandleForReading.readabilityHandler = { stdout.append(String(decoding: $0.availableData, as: UTF8.self)) }
        errorPipe.fileHandleForReading.readabilityHandler = { stderr.append(String(decoding: $0.availableData, as: UTF8.self)) }
        process.standardOutput = outputPipe
        process.standardError = errorPipe
        let inputPipe = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : inputPipe
        try process.run()
        if let input {
            inputPipe.fileHandleForWriting.write(input)
            try inputPipe.fileHandleForWriting.close()
        }
        let status: Int32
        do {
            status = try await eventually(timeout: timeout, "\(executable.lastPathComponent) to exit") {
                process.isRunning ? nil : process.terminationStatus
            }
        } catch {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            throw error
        }
        // Let the handlers take what is left in the pipes.
        try await Task.sleep(for: .milliseconds(50))
        outputPipe.fileHandleForReading.readabilityHandler = nil
        errorPipe.fileHandleForReading.readabilityHandler = nil
        stdout.append(String(decoding: outputPipe.fileHandleForReading.availableData, as: UTF8.self))
        stderr.append(String(decoding: errorPipe.fileHandleForReading.availableData, as: UTF8.self))
        return Result(status: status, stdout: stdout.text, stderr: stderr.text)
    }
}
