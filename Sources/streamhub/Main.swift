import ArgumentParser
import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import StreamHubAlerts
import StreamHubAuth
import StreamHubCluster
import StreamHubCore
import StreamHubHTTP
import StreamHubIngest
import StreamHubRedis
import UnixSignals

@main
enum Main {
    static func main() async {
        // Before anything is scheduled: Swift tasks (the HTTP handlers) run on the hub's event loops,
        // one per core, instead of hopping to and from Swift's own thread pool.
        NIOSingletons.groupLoopCountSuggestion = SchedulerCores.count
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        let arguments = EnvironmentArguments.merge(
            Array(CommandLine.arguments.dropFirst()),
            environment: ProcessInfo.processInfo.environment,
            options: ServeCommand.optionNames,
            repeatable: ServeCommand.repeatableOptions,
            flags: ServeCommand.flagOptions
        )
        let command: ServeCommand
        do {
            command = try ServeCommand.parse(arguments)
        } catch {
            if ServeCommand.exitCode(for: error) == .success { ServeCommand.exit(withError: error) }
            FileHandle.standardError.write(Data("streamhub: \(ServeCommand.message(for: error))\n".utf8))
            Foundation.exit(64)
        }
        do {
            try await run(command)
        } catch {
            if command.logFormat == "json" {
                JSONLogHandler(label: "streamhub").write(level: .critical, message: "\(error)")
            } else {
                FileHandle.standardError.write(Data("streamhub: \(error)\n".utf8))
            }
            Foundation.exit(1)
        }
    }

    static func run(_ command: ServeCommand) async throws {
        let level = Logger.Level(rawValue: command.logLevel) ?? .info
        let json = command.logFormat == "json"
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = json ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "streamhub")

        var tokens = command.publishTokens
        if tokens.isEmpty {
            let token = generateToken()
            tokens = [token]
            // Whatever the log level: without it, nobody can publish.
            let notice = "no --publish-token given; publishers must send: Authorization: Bearer \(token)"
            if json {
                JSONLogHandler(label: "streamhub").write(level: .notice, message: notice)
            } else {
                FileHandle.standardError.write(Data("streamhub: \(notice)\n".utf8))
            }
        }
        let viewerAuthenticator = try await ViewerAuthSetup.authenticator(command)
        let openFiles = ConnectionLimit.raiseOpenFileLimit()
        let hub = HubConfiguration(
            maxConnections: ConnectionLimit.effective(requested: command.maxConnections, openFileLimit: openFiles),
            allowedOrigins: .only(command.allowedOriginList),
            pingInterval: command.pingInterval.duration,
            pongTimeout: command.pongTimeout.duration,
            viewerCountInterval: command.viewerCountInterval.duration,
            maxQueuedBytes: command.maxQueuedBytes.bytes,
            writeTimeout: command.writeTimeout.duration,
            streamStateTTL: command.streamStateTTL.duration,
            socketWrites: SocketWrites(command.socketWrites) ?? .direct,
            maxConnectionsPerIP: command.maxConnectionsPerIP,
            maxConnectRate: command.maxConnectRate,
            historySize: command.historySize,
            historyTTL: command.historyTTL.duration
        )
        let configuration = StreamHubConfiguration(
            host: command.host,
            port: command.port,
            metricsPort: command.metricsPort,
            metricsTopStreams: command.metricsTopStreams,
            publishTokens: tokens,
            hub: hub,
            health: HealthConfiguration(
                interval: command.healthInterval.duration,
                alertFor: command.alertFor.duration,
                repeatInterval: command.alertRepeatInterval.duration,
                broadcastLatencyThreshold: command.broadcastLatencyThreshold.duration,
                reapedSpikeRatio: command.reapedSpikeThreshold,
                connectionsNearLimitRatio: command.connectionsNearLimitThreshold,
                schedulingLagThreshold: command.schedulingLagThreshold.duration,
                webhookURLs: command.alertWebhookURLs,
                webhookSecret: command.alertWebhookSecret
            ),
            broker: try command.redisURL.map { .redis(ClusterConfiguration(redisURL: try RedisURL($0), nodeTTL: command.nodeTTL.duration)) }
                ?? .local,
            nodeName: command.nodeID,
            viewerAuthenticator: viewerAuthenticator,
            ingest: command.ingestSecrets.isEmpty
                ? nil
                : IngestConfiguration(
                    secrets: command.ingestSecrets, streamID: try StreamIDTemplate(command.ingestStreamID), timeout: command.ingestTimeout.duration),
            demo: !command.noDemo,
            edge: EdgeConfiguration(
                requestTimeout: command.requestTimeout.duration,
                idleTimeout: command.idleTimeout.duration,
                trustedProxies: TrustedProxies(command.trustedProxyList.compactMap(TrustedProxies.Block.init))
            ),
            shutdownDelay: command.shutdownDelay.duration,
            shutdownGrace: command.shutdownGrace.duration
        )
        logger.info(
            "Starting streamhub \(StreamHubVersion.current)",
            metadata: [
                "host": "\(command.host)", "port": "\(command.port)",
                "metrics_port": "\(command.metricsPort.map(String.init) ?? "none (main port)")",
                "metrics_top_streams": "\(command.metricsTopStreams)",
                "publish_tokens": "\(tokens.count) (redacted)",
                "viewer_auth":
                    "\(viewerAuthenticator.map { "on: \($0.algorithms.joined(separator: ", ")), secrets \(command.viewerJWTSecrets.count) (redacted), public keys \(command.viewerJWTPublicKeys.count), leeway \(command.viewerJWTLeeway)" } ?? "off (anyone may watch)")",
                "viewer_jwt_audience": "\(command.viewerJWTAudience ?? "none")", "viewer_jwt_issuer": "\(command.viewerJWTIssuer ?? "none")",
                "allowed_origins": "\(hub.allowedOrigins)",
                "max_connections": "\(hub.maxConnections) (flag: \(command.maxConnections.map(String.init) ?? "none"), open files: \(openFiles))",
                "ping_interval": "\(command.pingInterval)", "pong_timeout": "\(command.pongTimeout)",
                "viewer_count_interval": "\(command.viewerCountInterval)",
                "max_queued_bytes": "\(hub.maxQueuedBytes)", "write_timeout": "\(command.writeTimeout)",
                "stream_state_ttl": "\(command.streamStateTTL)", "socket_writes": "\(hub.socketWrites)",
                "history_size": "\(hub.historySize)", "history_ttl": "\(command.historyTTL)",
                "health_interval": "\(command.healthInterval)", "alert_for": "\(command.alertFor)",
                "alert_repeat_interval": "\(command.alertRepeatInterval)",
                "alert_webhook_urls":
                    "\(command.alertWebhookURLs.compactMap(URL.init(string:)).map(WebhookNotifier.redacted))",
                "alert_webhook_secret": "\(command.alertWebhookSecret == nil ? "none" : "(redacted)")",
                "broadcast_latency_threshold": "\(command.broadcastLatencyThreshold)",
                "reaped_spike_threshold": "\(command.reapedSpikeThreshold)",
                "connections_near_limit_threshold": "\(command.connectionsNearLimitThreshold)",
                "scheduling_lag_threshold": "\(command.schedulingLagThreshold)",
                "redis_url": "\(command.redisURL.flatMap { try? RedisURL($0) }.map { "\($0)" } ?? "none (single node)")",
                "node_id": "\(command.nodeID ?? "host name:port")", "node_ttl": "\(command.nodeTTL)",
                "shutdown_delay": "\(command.shutdownDelay)", "shutdown_grace": "\(command.shutdownGrace)",
                "request_timeout": "\(command.requestTimeout)", "idle_timeout": "\(command.idleTimeout)",
                "max_connections_per_ip": "\(command.maxConnectionsPerIP.map(String.init) ?? "none")",
                "max_connect_rate": "\(command.maxConnectRate.map(String.init) ?? "none")",
                "ingest":
                    "\(command.ingestSecrets.isEmpty ? "off" : "on: secrets \(command.ingestSecrets.count) (redacted), stream id \(command.ingestStreamID), timeout \(command.ingestTimeout)")",
                "demo": "\(command.noDemo ? "off" : "on (/demo)")",
                "trusted_proxies": "\(command.trustedProxyList.isEmpty ? "none" : command.trustedProxyList.joined(separator: ","))",
                "event_loops": "\(SchedulerCores.count)", "log_level": "\(level)", "log_format": "\(command.logFormat)",
            ]
        )
        let server = StreamHubServer(configuration: configuration, logger: logger, eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
        var groupConfiguration = ServiceGroupConfiguration(
            services: server.services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        groupConfiguration.maximumGracefulShutdownDuration = command.shutdownGrace.duration
        try await ServiceGroup(configuration: groupConfiguration).run()
        logger.info("Stopped")
    }

    /// 32 random bytes as hex.
    static func generateToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &generator)) }.joined()
    }
}
