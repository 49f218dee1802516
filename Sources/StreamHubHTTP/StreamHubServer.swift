import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import StreamHubAlerts
import StreamHubCore
import StreamHubIngest

/// Settings of one node: where it listens, who may publish, the hub's limits and the shutdown timing.
public struct StreamHubConfiguration: Sendable {
    public var host: String
    /// `0` binds a free port; ``StreamHubServer`` reports the one it got.
    public var port: Int
    /// When set, `/metrics` is served only on this port (with `/healthz` and `/readyz`).
    public var metricsPort: Int?
    /// Streams named in `streamhub_stream_viewers`.
    public var metricsTopStreams: Int
    public var publishTokens: [String]
    public var hub: HubConfiguration
    public var health: HealthConfiguration
    /// What crosses nodes: ``BrokerFactory/local`` (the default) runs a single node that needs no
    /// outside service; `StreamHubCluster`'s `.redis(_:)` runs a cluster node.
    public var broker: BrokerFactory
    /// The node's name in the cluster and in alerts (`instance`); host name and port by default.
    public var nodeName: String?
    /// Who may watch which stream; `nil` (the default) lets anyone watch any stream.
    public var viewerAuthenticator: (any ViewerAuthenticator)?
    /// Media-server callbacks; `nil` (the default) leaves the ingest routes off (`404`).
    public var ingest: IngestConfiguration?
    /// Serve the demo page at `/demo` (the client and the API description are always served).
    public var demo: Bool
    /// Timeouts of HTTP connections and whose `X-Forwarded-For` counts.
    public var edge: EdgeConfiguration
    /// How long `/readyz` and upgrades answer 503 before viewers are closed.
    public var shutdownDelay: Duration
    /// Time from SIGTERM to exit.
    public var shutdownGrace: Duration

    public init(
        host: String = "0.0.0.0",
        port: Int = 8080,
        metricsPort: Int? = nil,
        metricsTopStreams: Int = 100,
        publishTokens: [String],
        hub: HubConfiguration = HubConfiguration(),
        health: HealthConfiguration = HealthConfiguration(),
        broker: BrokerFactory = .local,
        nodeName: String? = nil,
        viewerAuthenticator: (any ViewerAuthenticator)? = nil,
        ingest: IngestConfiguration? = nil,
        demo: Bool = true,
        edge: EdgeConfiguration = EdgeConfiguration(),
        shutdownDelay: Duration = .zero,
        shutdownGrace: Duration = .seconds(10)
    ) {
        self.host = host
        self.port = port
        self.metricsPort = metricsPort
        self.metricsTopStreams = metricsTopStreams
        self.publishTokens = publishTokens
        self.hub = hub
        self.health = health
        self.broker = broker
        self.nodeName = nodeName
        self.viewerAuthenticator = viewerAuthenticator
        self.ingest = ingest
        self.demo = demo
        self.edge = edge
        self.shutdownDelay = shutdownDelay
        self.shutdownGrace = shutdownGrace
    }
}

/// A StreamHub node: the hub, its HTTP and WebSocket server, and the services that run them.
public struct StreamHubServer: Sendable {
    /// Which listener ``StreamHubServer`` reports as bound.
    public enum Listener: Sendable {
        case main
        case metrics
    }

    public let hub: Hub
    public let metrics: HubMetrics
    public let health: HealthMonitor
    /// Run these in one `ServiceGroup`, in this order: the drain is shut down first and the listener last.
    public let services: [any Service]
    /// Every route the main port serves, as `GET /api/v1/streams/{stream_id}`, for checking against `openapi.yaml`.
    public let routes: [String]

    /// - Parameters:
    ///   - configuration: The node's settings.
    ///   - logger: Logger for the hub and the server.
    ///   - observer: Also receives the hub's counts and timings, besides ``metrics``.
    ///   - eventLoopGroup: Loops for every connection.
    ///   - onListening: Called with each listener's bound port once it accepts connections.
    public init(
        configuration: StreamHubConfiguration,
        logger: Logger,
        observer: (any HubObserver)? = nil,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        onListening: @escaping @Sendable (Listener, Int) async -> Void = { _, _ in }
    ) {
        let metrics = HubMetrics(topStreams: configuration.metricsTopStreams)
        let hostName = Self.hostName()
        let nodeName = configuration.nodeName ?? "\(hostName):\(configuration.port)"
        let broker = configuration.broker.makeBroker(
            .init(nodeName: nodeName, hubConfiguration: configuration.hub, registry: metrics.registry, eventLoopGroup: eventLoopGroup, logger: logger)
        )
        let hub = Hub(
            configuration: configuration.hub,
            eventLoopGroup: eventLoopGroup,
            broker: broker,
            authenticator: configuration.viewerAuthenticator,
            logger: logger,
            observer: observer.map { ObserverPair(first: metrics, second: $0) } ?? metrics
        )
        let notifier = WebhookNotifier(
            configuration: .init(
                urls: configuration.health.webhookURLs.compactMap(URL.init(string:)),
                secret: configuration.health.webhookSecret,
                timeout: configuration.health.webhookTimeout,
                maxAttempts: configuration.health.webhookMaxAttempts,
                retryBase: configuration.health.webhookRetryBase
            ),
            metrics: metrics,
            logger: logger
        )
        let health = HealthMonitor(
            configuration: configuration.health,
            hub: hub,
            metrics: metrics,
            alerts: notifier,
            instance: nodeName,
            externalURL: "http://\(hostName):\(configuration.port)",
            clusterLinkUp: broker.isLinkUp.map { _ in { @Sendable in broker.isLinkUp ?? false } },
            logger: logger
        )
        let routes = Routes(hub: hub, metrics: metrics, health: health, tokens: PublishTokens(configuration.publishTokens))
        let ingest = configuration.ingest.map { IngestCallbacks(configuration: $0, hub: hub, registry: metrics.registry, logger: logger) }
        let router = Routes.makeRouter { router in
            routes.addStreams(to: router)
            if let ingest { IngestRoutes(ingest: ingest).add(to: router) }
            AssetRoutes.add(to: router, demo: configuration.demo)
            routes.addHealth(to: router)
            if configuration.metricsPort == nil { routes.addMetrics(to: router) }
        }
        let application = Application(
            router: router,
            server: HTTPServerBuilder { responder in
                ViewerUpgradeChannel(hub: hub, publishing: routes.publishing, edge: configuration.edge, metrics: metrics, responder: responder)
            },
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), backlog: 4096),
            onServerRunning: { channel in
                try? await channel.pipeline.addHandler(AcceptErrorWatch(metrics: metrics, logger: logger), position: .first).get()
                await onListening(.main, channel.localAddress?.port ?? configuration.port)
            },
            eventLoopGroupProvider: .shared(eventLoopGroup),
            logger: logger
        )
        var services: [any Service] = [application]
        if let metricsPort = configuration.metricsPort {
            let metricsRouter = Routes.makeRouter { router in
                routes.addHealth(to: router)
                routes.addMetrics(to: router)
            }
            services.append(
                Application(
                    router: metricsRouter,
                    configuration: .init(address: .hostname(configuration.host, port: metricsPort)),
                    onServerRunning: { channel in await onListening(.metrics, channel.localAddress?.port ?? metricsPort) },
                    eventLoopGroupProvider: .shared(eventLoopGroup),
                    logger: logger
                )
            )
        }
        services.append(notifier)
        services.append(HubService(hub: hub))
        if let ingest { services.append(ingest) }
        services.append(broker)
        services.append(health)
        services.append(ShutdownService(hub: hub, delay: configuration.shutdownDelay, grace: configuration.shutdownGrace))
        self.hub = hub
        self.metrics = metrics
        self.health = health
        self.services = services
        self.routes = router.routes.map { route in
            "\(route.method) /\(route.path.description.split(separator: "/").joined(separator: "/"))"
        }
    }
}

extension StreamHubServer {
    /// This machine's name, without a DNS lookup.
    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Hands every observation to two observers.
private struct ObserverPair: HubObserver {
    let first: any HubObserver
    let second: any HubObserver

    func viewerOpened() {
        first.viewerOpened()
        second.viewerOpened()
    }

    func viewerClosed(cause: ViewerCloseCause) {
        first.viewerClosed(cause: cause)
        second.viewerClosed(cause: cause)
    }

    func viewerRejected(_ rejection: ViewerRejection) {
        first.viewerRejected(rejection)
        second.viewerRejected(rejection)
    }

    func heartbeatAnswered(roundTrip: Duration) {
        first.heartbeatAnswered(roundTrip: roundTrip)
        second.heartbeatAnswered(roundTrip: roundTrip)
    }

    func eventPublished(_ event: PublishedEvent) {
        first.eventPublished(event)
        second.eventPublished(event)
    }

    func viewerResumed(recovered: Bool) {
        first.viewerResumed(recovered: recovered)
        second.viewerResumed(recovered: recovered)
    }

    func broadcastCompleted(event: String, deliveries: Int, latency: Duration) {
        first.broadcastCompleted(event: event, deliveries: deliveries, latency: latency)
        second.broadcastCompleted(event: event, deliveries: deliveries, latency: latency)
    }
}
