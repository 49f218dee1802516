import Foundation
import StreamHubTestSupport
import Synchronization

/// A real headless Chromium (Debian's `chromium`), driven over the DevTools protocol, its pages'
/// console watched. One per test process (``shared``), killed when the process exits.
final class HeadlessChromium: Sendable {
    /// Started by the first test that asks; a browser start is the heaviest thing the tests do.
    static let shared = Task { try await HeadlessChromium() }

    static var path: String? { IntegrationTool.path("chromium") }
    static var shouldRun: Bool { path != nil || IntegrationTool.required }

    /// Where screenshots go: `STREAMHUB_SCREENSHOTS` or a folder under the temporary directory, printed once.
    static let screenshots: URL = {
        let folder =
            ProcessInfo.processInfo.environment["STREAMHUB_SCREENSHOTS"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("streamhub-screenshots")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        print("Browser screenshots in \(folder.path)")
        return folder
    }()

    let devToolsPort: Int
    private let process: Process
    private let profile: URL

    private init() async throws {
        guard let path = Self.path else {
            throw TestFailure("chromium is not installed (apt-get install chromium); STREAMHUB_REQUIRE_INTEGRATION=1 makes that a failure")
        }
        profile = FileManager.default.temporaryDirectory.appendingPathComponent("streamhub-chromium-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: profile, withIntermediateDirectories: true)
        process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
            "--disable-extensions", "--disable-background-networking", "--window-size=1100,900", "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0", "--user-data-dir=\(profile.path)", "about:blank",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let pid = process.processIdentifier
        runningBrowser.withLock { $0 = pid }
        atexit { runningBrowser.withLock { if $0 > 0 { kill($0, SIGKILL) } } }
        // Chromium writes the port it bound to the profile's DevToolsActivePort.
        let portFile = profile.appendingPathComponent("DevToolsActivePort")
        devToolsPort = try await eventually(timeout: .seconds(30), "Chromium's DevTools port") { [process] in
            guard process.isRunning else { throw TestFailure("chromium exited with \(process.terminationStatus)") }
            return (try? String(contentsOf: portFile, encoding: .utf8)).flatMap { $0.split(separator: "\n").first.flatMap { Int($0) } }
        }
    }

    /// Opens a new tab.
    func newPage() async throws -> BrowserPage {
        // DevTools' HTTP server writes headers without a space after the colon, which HummingbirdTesting
        // refuses, and keeps the connection open after `Connection: close`.
        let request = "PUT /json/new?about:blank HTTP/1.1\r\nHost: 127.0.0.1:\(devToolsPort)\r\nConnection: close\r\n\r\n"
        let answer = try await RawHTTPConnection.exchange(port: devToolsPort, request, answers: 1).first
        let json = answer.flatMap { try? JSONSerialization.jsonObject(with: Data($0.body.utf8)) as? [String: Any] }
        guard let socket = json?["webSocketDebuggerUrl"] as? String, let path = URL(string: socket)?.path else {
            throw TestFailure("DevTools did not open a tab: \(answer.map { "\($0.status) \($0.body)" } ?? "no answer")")
        }
        return try await BrowserPage(port: devToolsPort, path: path)
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: profile)
    }
}

/// The browser to kill when the test process exits.
private let runningBrowser = Mutex<pid_t>(0)

/// One tab, over its DevTools WebSocket: navigate, evaluate, screenshot, and what its console said.
final class BrowserPage: Sendable {
    private let socket: TestViewer
    private let nextID = Atomic<Int>(1)

    fileprivate init(port: Int, path: String) async throws {
        switch try await TestViewer.connect(port: port, path: path) {
        case .upgraded(let socket): self.socket = socket
        case .refused(let status, _, let body): throw TestFailure("DevTools refused the tab's socket: \(status) \(body)")
        }
        for domain in ["Page", "Runtime", "Log"] { _ = try await send("\(domain).enable") }
    }

    /// Sends a command and waits for its result.
    @discardableResult
    func send(_ method: String, _ parameters: [String: Any] = [:], timeout: Duration = .seconds(15)) async throws -> [String: Any] {
        let id = nextID.add(1, ordering: .relaxed).oldValue
        let command = try JSONSerialization.data(withJSONObject: ["id": id, "method": method, "params": parameters])
        try await socket.send(.text, Array(command))
        let answer = try await eventually(timeout: timeout, "DevTools answer to \(method)") {
            self.protocolMessages.first { $0["id"] as? Int == id }
        }
        if let error = answer["error"] as? [String: Any] { throw TestFailure("\(method): \(error)") }
        return answer["result"] as? [String: Any] ?? [:]
    }

    func navigate(_ url: String) async throws {
        try await send("Page.navigate", ["url": url])
        _ = try await eventually(timeout: .seconds(15), "\(url) to load") {
            try await self.evaluate("document.readyState") as? String == "complete" ? true : nil
        }
    }

    /// Evaluates a JavaScript expression in the page (awaiting a promise) and gives its value.
    func evaluate(_ expression: String) async throws -> Any? {
        let result = try await send("Runtime.evaluate", ["expression": expression, "returnByValue": true, "awaitPromise": true])
        if let exception = result["exceptionDetails"] { throw TestFailure("\(expression): \(exception)") }
        return (result["result"] as? [String: Any])?["value"]
    }

    /// The text of the element with `id`.
    func text(_ id: String) async throws -> String {
        try await evaluate("document.getElementById('\(id)').textContent") as? String ?? ""
    }

    /// Waits until the element with `id` reads `expected`.
    func waitForText(_ id: String, _ expected: String, timeout: Duration = .seconds(15)) async throws {
        _ = try await eventually(timeout: timeout, "#\(id) to read \(expected)") {
            try await self.text(id) == expected ? true : nil
        }
    }

    /// Saves a PNG of the page as `<name>.png` in ``HeadlessChromium/screenshots`` and gives its URL.
    @discardableResult
    func screenshot(_ name: String) async throws -> URL {
        // A tab in the background is not painted, so its screenshot would never come.
        try await send("Page.bringToFront")
        let result = try await send("Page.captureScreenshot", ["format": "png"])
        guard let base64 = result["data"] as? String, let png = Data(base64Encoded: base64) else { throw TestFailure("no screenshot") }
        let file = HeadlessChromium.screenshots.appendingPathComponent("\(name).png")
        try png.write(to: file)
        return file
    }

    /// Errors the page's scripts logged (`console.error`) or threw.
    var consoleErrors: [String] {
        protocolMessages.compactMap { message in
            let parameters = message["params"] as? [String: Any] ?? [:]
            switch message["method"] as? String {
            case "Runtime.consoleAPICalled" where parameters["type"] as? String == "error":
                return "console.error: \(parameters["args"] ?? "")"
            case "Runtime.exceptionThrown":
                return "exception: \(parameters["exceptionDetails"] ?? "")"
            default:
                return nil
            }
        }
    }

    func close() async {
        await socket.close()
    }

    private var protocolMessages: [[String: Any]] {
        socket.frames.compactMap { frame in
            frame.opcode == .text ? (try? JSONSerialization.jsonObject(with: Data(frame.payload))) as? [String: Any] : nil
        }
    }
}
