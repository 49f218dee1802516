import Foundation
import Testing

@Suite(.serialized, .timeLimit(.minutes(1))) struct CommandLineTests {
    @Test(arguments: [
        (["--ping-interval", "5x"], "--ping-interval"),
        (["--port", "70000"], "--port"),
        (["--max-queued-bytes", "12"], "--max-queued-bytes"),
        (["--allowed-origins", "player.example.com"], "--allowed-origins"),
        (["--log-format", "xml"], "--log-format"),
        (["--shutdown-delay", "20s"], "--shutdown-delay"),
        (["--alert-webhook-url", "ftp://hooks.example.com/x"], "--alert-webhook-url"),
        (["--connections-near-limit-threshold", "1.5"], "--connections-near-limit-threshold"),
        (["--reaped-spike-threshold", "0"], "--reaped-spike-threshold"),
        (["--metrics-top-streams", "0"], "--metrics-top-streams"),
        (["--redis-url", "http://127.0.0.1:6379", "--publish-token", "t"], "--redis-url"),
        (["--redis-url", "redis://127.0.0.1:99999", "--publish-token", "t"], "--redis-url"),
        (["--redis-url", "redis://127.0.0.1:6379"], "--publish-token"),
        (["--node-ttl", "10ms"], "--node-ttl"),
        (["--node-id", "two words"], "--node-id"),
        // Out of range or too large to hold: the same one line, never a trap.
        (["--ping-interval", "1000h"], "--ping-interval"),
        (["--pong-timeout", "9999999999999999h"], "--pong-timeout"),
        (["--stream-state-ttl", "25h"], "--stream-state-ttl"),
        (["--request-timeout", "0s"], "--request-timeout"),
        (["--idle-timeout", "2d"], "--idle-timeout"),
        (["--max-connections-per-ip", "0"], "--max-connections-per-ip"),
        (["--max-connect-rate", "-5"], "--max-connect-rate"),
        (["--max-connections", "99999999999999999999"], "--max-connections"),
        (["--trusted-proxies", "10.0.0.0/33"], "--trusted-proxies"),
        (["--trusted-proxies", "proxy.example.com"], "--trusted-proxies"),
        (["--viewer-jwt-secret", "short"], "--viewer-jwt-secret"),
        (["--viewer-jwt-leeway", "2h"], "--viewer-jwt-leeway"),
        (["--ingest-secret", "short"], "--ingest-secret"),
        (["--ingest-secret", "sixteen-or-more but spaces"], "--ingest-secret"),
        (["--ingest-stream-id", "{stream}"], "--ingest-stream-id"),
        (["--ingest-stream-id", "live/{name}"], "--ingest-stream-id"),
        (["--ingest-timeout", "500ms"], "--ingest-timeout"),
    ])
    func badValueStopsTheStartWithOneLineNamingTheFlag(arguments: [String], flag: String) async throws {
        let result = try await HubProcess.runToExit(arguments)
        #expect(result.status == 64, "bad values exit with EX_USAGE")
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(result.stderr.contains(flag))
    }

    @Test func environmentVariablesSetFlags() async throws {
        let result = try await HubProcess.runToExit([], environment: ["STREAMHUB_PONG_TIMEOUT": "soon"])
        #expect(result.status == 64, "bad values exit with EX_USAGE")
        #expect(result.stderr.contains("--pong-timeout"))
    }

    /// A key file that cannot be read or used stops the start with one line naming the flag.
    @Test(arguments: ["/nonexistent/key.pem", "Package.swift"])
    func anUnusableViewerKeyStopsTheStart(path: String) async throws {
        let result = try await HubProcess.runToExit(["--viewer-jwt-public-key", Repository.file(path).path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("--viewer-jwt-public-key"), "\(result.stderr)")
    }

    @Test func helpDocumentsEveryFlagWithItsDefault() async throws {
        let result = try await HubProcess.runToExit(["--help"])
        #expect(result.status == 0)
        let help = result.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        for flag in [
            "--host", "--port", "--publish-token", "--allowed-origins", "--max-connections", "--ping-interval", "--pong-timeout",
            "--viewer-count-interval", "--max-queued-bytes", "--write-timeout", "--stream-state-ttl", "--shutdown-delay",
            "--shutdown-grace", "--log-level", "--log-format", "--version", "--metrics-port", "--metrics-top-streams",
            "--health-interval", "--alert-for", "--alert-repeat-interval", "--alert-webhook-url", "--alert-webhook-secret",
            "--broadcast-latency-threshold", "--reaped-spike-threshold", "--connections-near-limit-threshold",
            "--scheduling-lag-threshold", "--redis-url", "--node-id", "--node-ttl", "--request-timeout", "--idle-timeout",
            "--max-connections-per-ip", "--max-connect-rate", "--trusted-proxies", "--history-size", "--history-ttl",
            "--viewer-jwt-secret", "--viewer-jwt-public-key", "--viewer-jwt-audience", "--viewer-jwt-issuer", "--viewer-jwt-leeway",
            "--ingest-secret", "--ingest-stream-id", "--ingest-timeout",
        ] {
            #expect(help.contains(flag), "\(flag) missing from --help")
        }
        #expect(help.contains("Range: 10ms to 1h. [env: STREAMHUB_PING_INTERVAL] (default: 20s)"))
        #expect(help.contains("Range: 0 to 65535. [env: STREAMHUB_PORT]"))
        #expect(help.contains("[env: STREAMHUB_PUBLISH_TOKEN]"))
        #expect(help.contains("Range: 1s to 24h. [env: STREAMHUB_INGEST_TIMEOUT] (default: 90s)"))
    }

    @Test func underJSONLoggingEveryLineIsJSONTheGeneratedTokenNoticeIncluded() async throws {
        let hub = try await HubProcess(["--log-format", "json"], token: nil)
        let lines = hub.log.split(separator: "\n")
        #expect(lines.count >= 2)
        for line in lines {
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["message"] is String, "not a JSON log line: \(line)")
        }
        #expect(lines.contains { $0.contains("Authorization: Bearer ") && $0.contains(#""level":"notice""#) })
        hub.terminate()
    }

    @Test func versionPrintsTheVersion() async throws {
        let result = try await HubProcess.runToExit(["--version"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("0.1.0"))
    }

    @Test func generatedTokenIsPrintedOnceNeverLoggedAgainAndWorks() async throws {
        let hub = try await HubProcess([], token: nil)
        let match = try #require(hub.log.firstMatch(of: /Bearer ([0-9a-f]{64})/))
        let token = String(match.1)
        #expect(hub.log.components(separatedBy: token).count == 2, "the token appears exactly once")
        #expect(hub.log.contains("publish_tokens=1 (redacted)"))
        let client = HubClient(port: hub.port)
        let answer = try await client.request(.post, "/api/v1/streams/s/events", body: #"{"event":"stream_started"}"#, token: token)
        #expect(answer.status == 202)
        hub.terminate()
        #expect(try await hub.exitStatus(timeout: .seconds(12)) == 0)
    }
}
