import ArgumentParser
import Foundation
import Logging
import StreamHubCore
import StreamHubHTTP
import StreamHubIngest
import StreamHubRedis

/// The command line: every flag of the contract, with its default and environment variable.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "streamhub",
        abstract: "A real-time event hub for live video: viewers on WebSockets, publishers over HTTP.",
        discussion: """
            Every option can also be set through an environment variable: --ping-interval is \
            STREAMHUB_PING_INTERVAL. Repeatable options take a comma-separated value there. \
            Durations read as 500ms, 20s, 1m or 1h.
            """,
        version: StreamHubVersion.current
    )

    @Option(help: Self.env("Address to listen on.", "host"))
    var host = "0.0.0.0"

    @Option(help: Self.env("Port for viewers, publishers and /metrics (0 picks a free port).", "port"))
    var port = 8080

    @Option(help: Self.env("Serve /metrics only on this port (with /healthz and /readyz); the main port answers 404 for it.", "metrics-port"))
    var metricsPort: Int?

    @Option(help: Self.env("Streams named in streamhub_stream_viewers; the rest are summed as stream_id=\"(other)\".", "metrics-top-streams"))
    var metricsTopStreams = 100

    @Option(
        name: .customLong("publish-token"),
        help: Self.env(
            "Bearer token publishers must present; repeat to accept several during rotation (default: one is generated and printed once).",
            "publish-token"
        )
    )
    var publishTokens: [String] = []

    @Option(
        help: Self.env(
            "Comma-separated exact origins allowed to connect as viewers, or * for any. Requests without Origin always pass.", "allowed-origins"))
    var allowedOrigins = "*"

    @Option(
        help: Self.env(
            "Most viewer connections (default: the open-file limit minus \(ConnectionLimit.reservedDescriptors)); the effective limit is logged at start.",
            "max-connections"))
    var maxConnections: Int?

    @Option(help: Self.env("Time between server pings to each viewer.", "ping-interval"))
    var pingInterval = ConfigDuration(argument: "20s")!

    @Option(help: Self.env("Silence after a ping before a viewer is closed as dead.", "pong-timeout"))
    var pongTimeout = ConfigDuration(argument: "10s")!

    @Option(help: Self.env("At most one viewer_count_changed per stream per interval.", "viewer-count-interval"))
    var viewerCountInterval = ConfigDuration(argument: "500ms")!

    @Option(help: Self.env("Bytes queued for one viewer before it is closed with 1008 (accepts KiB and MiB).", "max-queued-bytes"))
    var maxQueuedBytes = ConfigByteCount(argument: "1MiB")!

    @Option(help: Self.env("Age of a viewer's oldest unsent data before it is closed with 1008.", "write-timeout"))
    var writeTimeout = ConfigDuration(argument: "10s")!

    @Option(
        help: Self.env(
            "direct: viewers' frames go straight to their sockets while nothing is queued (less CPU); channel: through SwiftNIO's pipeline only.",
            "socket-writes"))
    var socketWrites = "direct"

    @Option(help: Self.env("How long the state of a stream with no viewers and no events is kept.", "stream-state-ttl"))
    var streamStateTTL = ConfigDuration(argument: "1h")!

    @Option(help: Self.env("Events kept per stream for viewers that resume with ?since=&epoch= (0 turns history off).", "history-size"))
    var historySize = 100

    @Option(help: Self.env("How long a stream's history is kept after its latest event.", "history-ttl"))
    var historyTTL = ConfigDuration(argument: "10m")!

    @Option(help: Self.env("Time between two rounds of health checks; also the window of the latency and lag checks.", "health-interval"))
    var healthInterval = ConfigDuration(argument: "10s")!

    @Option(help: Self.env("How long a check must fail before its alert fires.", "alert-for"))
    var alertFor = ConfigDuration(argument: "30s")!

    @Option(help: Self.env("How often a firing alert is sent again.", "alert-repeat-interval"))
    var alertRepeatInterval = ConfigDuration(argument: "4h")!

    @Option(
        name: .customLong("alert-webhook-url"),
        help: Self.env("http(s) URL that receives Alertmanager-style alert notifications; repeatable.", "alert-webhook-url")
    )
    var alertWebhookURLs: [String] = []

    @Option(help: Self.env("Secret that signs notifications (X-StreamHub-Signature); never logged.", "alert-webhook-secret"))
    var alertWebhookSecret: String?

    @Option(help: Self.env("broadcast_latency fails when the p99 broadcast latency of a window is above this.", "broadcast-latency-threshold"))
    var broadcastLatencyThreshold = ConfigDuration(argument: "500ms")!

    @Option(
        help: Self.env(
            "reaped_spike fails when more than this share of a minute's connections were reaped (and at least 10).", "reaped-spike-threshold"))
    var reapedSpikeThreshold = 0.1

    @Option(
        help: Self.env("connections_near_limit fails at or above this share of the effective connection limit.", "connections-near-limit-threshold"))
    var connectionsNearLimitThreshold = 0.9

    @Option(help: Self.env("scheduling_lag fails when event-loop timers run later than this.", "scheduling-lag-threshold"))
    var schedulingLagThreshold = ConfigDuration(argument: "250ms")!

    @Option(
        help: Self.env(
            "Cluster mode: redis[s]://[user:password@]host:port[/db] shares events, state and counts with every node using it.", "redis-url"))
    var redisURL: String?

    @Option(help: Self.env("This node's name in the cluster and in alerts (default: host name:port); unique per node.", "node-id"))
    var nodeID: String?

    @Option(help: Self.env("A node not heard from within this drops out of every viewer count; nodes report every third of it.", "node-ttl"))
    var nodeTTL = ConfigDuration(argument: "15s")!

    @Option(help: Self.env("On SIGTERM, time /readyz and new upgrades answer 503 before viewers are closed.", "shutdown-delay"))
    var shutdownDelay = ConfigDuration(argument: "0s")!

    @Option(help: Self.env("On SIGTERM, time until the process has exited.", "shutdown-grace"))
    var shutdownGrace = ConfigDuration(argument: "10s")!

    @Option(
        help: Self.env(
            "A request, head and body, must arrive within this of its first byte (of the connection opening for the first).", "request-timeout"))
    var requestTimeout = ConfigDuration(argument: "10s")!

    @Option(help: Self.env("A keep-alive HTTP connection that sends nothing for this long after an answer is closed.", "idle-timeout"))
    var idleTimeout = ConfigDuration(argument: "60s")!

    @Option(
        name: .customLong("max-connections-per-ip"),
        help: Self.env("Most viewers one client address may hold (default: no limit); beyond it 503, reason per_ip.", "max-connections-per-ip"))
    var maxConnectionsPerIP: Int?

    @Option(
        help: Self.env(
            "Most new viewers per second on this node, in bursts up to it (default: no limit); beyond it 503, reason rate.", "max-connect-rate"))
    var maxConnectRate: Int?

    @Option(
        help: Self.env(
            "Comma-separated CIDR blocks of proxies whose X-Forwarded-For names the client (default: none; the TCP peer is the client).",
            "trusted-proxies"))
    var trustedProxies = ""

    @Option(
        name: .customLong("viewer-jwt-secret"),
        help: Self.env(
            "HS256 secret viewer tokens may be signed with; repeat to rotate. Any viewer key makes every viewer need a token; never logged.",
            "viewer-jwt-secret"))
    var viewerJWTSecrets: [String] = []

    @Option(
        name: .customLong("viewer-jwt-public-key"),
        help: Self.env(
            "PEM file of a public key viewer tokens may be signed with: EC P-256 (ES256) or RSA of 2048 bits or more (RS256); repeatable.",
            "viewer-jwt-public-key"))
    var viewerJWTPublicKeys: [String] = []

    @Option(name: .customLong("viewer-jwt-audience"), help: Self.env("When set, a viewer token's aud must be or contain it.", "viewer-jwt-audience"))
    var viewerJWTAudience: String?

    @Option(name: .customLong("viewer-jwt-issuer"), help: Self.env("When set, a viewer token's iss must be it.", "viewer-jwt-issuer"))
    var viewerJWTIssuer: String?

    @Option(
        name: .customLong("viewer-jwt-leeway"),
        help: Self.env(
            "Clock difference allowed for a viewer token's exp and nbf; a viewer is closed with 4001 at exp plus this.", "viewer-jwt-leeway"))
    var viewerJWTLeeway = ConfigDuration(argument: "30s")!

    @Option(
        name: .customLong("ingest-secret"),
        help: Self.env(
            "Secret media servers put in their callback URLs as ?secret=; repeat to rotate. Turns the ingest routes on; never logged.",
            "ingest-secret"))
    var ingestSecrets: [String] = []

    @Option(
        name: .customLong("ingest-stream-id"),
        help: Self.env("The stream id a callback names, from the media server's {app} and {name}.", "ingest-stream-id"))
    var ingestStreamID = "{name}"

    @Option(
        help: Self.env(
            "How long a stream whose media server sent a liveness update may go without one before it is ended (reason ingest_timeout).",
            "ingest-timeout"))
    var ingestTimeout = ConfigDuration(argument: "90s")!

    @Flag(name: .customLong("no-demo"), help: Self.env("Do not serve the demo page at /demo (then 404).", "no-demo"))
    var noDemo = false

    @Option(help: Self.env("trace, debug, info, notice, warning, error or critical.", "log-level"))
    var logLevel = "info"

    @Option(help: Self.env("text or json.", "log-format"))
    var logFormat = "text"

    /// Help text that names the option's range, if it has one, and its environment variable.
    private static func env(_ text: String, _ option: String) -> ArgumentHelp {
        let range = FlagRanges.description(of: option).map { " Range: \($0)." } ?? ""
        return ArgumentHelp("\(text)\(range) [env: \(EnvironmentArguments.variable(for: option))]")
    }

    /// Names of every option, for environment variables.
    static let optionNames = [
        "host", "port", "metrics-port", "metrics-top-streams", "publish-token", "allowed-origins", "max-connections", "ping-interval", "pong-timeout",
        "viewer-count-interval", "max-queued-bytes", "write-timeout", "socket-writes", "stream-state-ttl", "history-size", "history-ttl",
        "health-interval", "alert-for",
        "alert-repeat-interval",
        "alert-webhook-url", "alert-webhook-secret", "broadcast-latency-threshold", "reaped-spike-threshold",
        "connections-near-limit-threshold", "scheduling-lag-threshold", "redis-url", "node-id", "node-ttl", "shutdown-delay",
        "shutdown-grace", "request-timeout", "idle-timeout", "max-connections-per-ip", "max-connect-rate", "trusted-proxies",
        "viewer-jwt-secret", "viewer-jwt-public-key", "viewer-jwt-audience", "viewer-jwt-issuer", "viewer-jwt-leeway",
        "ingest-secret", "ingest-stream-id", "ingest-timeout", "no-demo", "log-level", "log-format",
    ]
    /// Options that take no value: `STREAMHUB_NO_DEMO=1` sets `--no-demo`.
    static let flagOptions: Set<String> = ["no-demo"]
    static let repeatableOptions: Set<String> = [
        "publish-token", "alert-webhook-url", "viewer-jwt-secret", "viewer-jwt-public-key", "ingest-secret",
    ]

    /// Every duration flag, by name, for range checks.
    private var durations: [(String, ConfigDuration)] {
        [
            ("ping-interval", pingInterval), ("pong-timeout", pongTimeout), ("viewer-count-interval", viewerCountInterval),
            ("write-timeout", writeTimeout), ("stream-state-ttl", streamStateTTL), ("history-ttl", historyTTL), ("health-interval", healthInterval),
            ("alert-for", alertFor), ("alert-repeat-interval", alertRepeatInterval),
            ("broadcast-latency-threshold", broadcastLatencyThreshold), ("scheduling-lag-threshold", schedulingLagThreshold),
            ("node-ttl", nodeTTL), ("shutdown-delay", shutdownDelay), ("shutdown-grace", shutdownGrace),
            ("request-timeout", requestTimeout), ("idle-timeout", idleTimeout), ("viewer-jwt-leeway", viewerJWTLeeway),
            ("ingest-timeout", ingestTimeout),
        ]
    }

    /// Every integer flag that is set, by name, for range checks.
    private var integers: [(String, Int)] {
        [
            ("port", port), ("metrics-port", metricsPort), ("metrics-top-streams", metricsTopStreams), ("max-connections", maxConnections),
            ("max-queued-bytes", maxQueuedBytes.bytes), ("max-connections-per-ip", maxConnectionsPerIP), ("max-connect-rate", maxConnectRate),
            ("history-size", historySize),
        ].compactMap { name, value in value.map { (name, $0) } }
    }

    func validate() throws {
        for (flag, value) in integers {
            guard let range = FlagRanges.integers[flag], !range.contains(value) else { continue }
            throw ValidationError("--\(flag) must be from \(range.lowerBound) to \(range.upperBound), not \(value)")
        }
        for (flag, value) in durations {
            guard let range = FlagRanges.durations[flag], !range.contains(value.duration) else { continue }
            throw ValidationError("--\(flag) must be from \(FlagRanges.text(range.lowerBound)) to \(FlagRanges.text(range.upperBound)), not \(value)")
        }
        if let metricsPort, metricsPort == port, port != 0 { throw ValidationError("--metrics-port must differ from --port (\(port))") }
        // RFC 7518 §3.2: an HS256 key at least as long as the hash.
        for secret in viewerJWTSecrets where secret.utf8.count < 32 {
            throw ValidationError("--viewer-jwt-secret must be at least 32 bytes (RFC 7518 asks for 256 bits)")
        }
        for secret in ingestSecrets
        where secret.utf8.count < 16 || secret.contains(where: { !($0.isASCII && ($0.isLetter || $0.isNumber)) && !"-._~".contains($0) }) {
            throw ValidationError("--ingest-secret must be at least 16 characters of A-Z, a-z, 0-9, '-', '.', '_' or '~' (it goes in a URL as it is)")
        }
        do {
            _ = try StreamIDTemplate(ingestStreamID)
        } catch {
            throw ValidationError("--ingest-stream-id: \(error)")
        }
        for token in publishTokens where token.isEmpty || token.contains(where: \.isWhitespace) {
            throw ValidationError("--publish-token must be non-empty and contain no whitespace")
        }
        for origin in allowedOriginList where origin != "*" {
            guard let url = URL(string: origin), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil,
                url.path.isEmpty, url.query == nil
            else {
                throw ValidationError("--allowed-origins: '\(origin)' is not an origin like https://player.example.com or *")
            }
        }
        for (flag, ratio) in [
            ("--reaped-spike-threshold", reapedSpikeThreshold), ("--connections-near-limit-threshold", connectionsNearLimitThreshold),
        ]
        where !(ratio > 0 && ratio <= 1) {
            throw ValidationError("\(flag) must be a share above 0 and at most 1 (0.9 is 90%), not \(ratio)")
        }
        for url in alertWebhookURLs {
            guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host?.isEmpty == false else {
                throw ValidationError("--alert-webhook-url: '\(url)' is not an http(s) URL")
            }
        }
        if alertWebhookSecret?.isEmpty == true { throw ValidationError("--alert-webhook-secret must not be empty") }
        if let redisURL {
            do {
                _ = try RedisURL(redisURL)
            } catch {
                throw ValidationError("--redis-url: \(error)")
            }
            guard !publishTokens.isEmpty else {
                throw ValidationError("--redis-url needs --publish-token: every node of a cluster must accept the same publish tokens")
            }
        }
        if let nodeID, nodeID.isEmpty || nodeID.count > 128 || nodeID.contains(where: \.isWhitespace) {
            throw ValidationError("--node-id must be 1 to 128 characters without whitespace")
        }
        guard shutdownDelay.duration < shutdownGrace.duration else {
            throw ValidationError("--shutdown-delay (\(shutdownDelay)) must be shorter than --shutdown-grace (\(shutdownGrace))")
        }
        for block in trustedProxyList where TrustedProxies.Block(block) == nil {
            throw ValidationError("--trusted-proxies: '\(block)' is not a CIDR block like 10.0.0.0/8 or 2001:db8::/32")
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical; not '\(logLevel)'")
        }
        guard SocketWrites(socketWrites) != nil else {
            throw ValidationError("--socket-writes must be direct or channel, not '\(socketWrites)'")
        }
        guard ["text", "json"].contains(logFormat) else {
            throw ValidationError("--log-format must be text or json, not '\(logFormat)'")
        }
    }

    var allowedOriginList: [String] {
        allowedOrigins.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    }

    var trustedProxyList: [String] {
        trustedProxies.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
