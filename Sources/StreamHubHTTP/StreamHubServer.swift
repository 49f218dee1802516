import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import StreamHubCore

/// Settings of one node: where it listens, who may publish, the hub's limits and the shutdown timing.
public struct StreamHubConfiguration: Sendable {
    public var host: String
    /// `0` binds a free port; ``StreamHubServer`` reports the one it got.
    public var port: Int
    public var publishTokens: [String]
    public var hub: HubConfiguration
    /// How long `/readyz` and upgrades answer 503 before viewers are closed.
    public var shutdownDelay: Duration
    /// Time from SIGTERM to exit.
    public var shutdownGrace: Duration

    public init(
        host: String = "0.0.0.0",
        port: Int = 8080,
        publishTokens: [String],
        hub: HubConfiguration = HubConfiguration(),
        shutdownDelay: Duration = .zero,
        shutdownGrace: Duration = .seconds(10)
    ) {
        self.host = host
        self.port = port
        self.publishTokens = publishTokens
        self.hub = hub
        self.shutdownDelay = shutdownDelay
        self.shutdownGrace = shutdownGrace
    }
}

/// A StreamHub node: the hub, its HTTP and WebSocket server, and the services that run them.
public struct StreamHubServer: Sendable {
    public let hub: Hub
    /// Run these in one `ServiceGroup`, in this order: the drain is shut down first and the listener last.
    public let services: [any Service]

    /// - Parameters:
    ///   - configuration: The node's settings.
    ///   - logger: Logger for the hub and the server.
    ///   - observer: Receives the hub's counts and timings.
    ///   - eventLoopGroup: Loops for every connection.
    ///   - onListening: Called with the bound port once the server accepts connections.
    public init(
        configuration: StreamHubConfiguration,
        logger: Logger,
        observer: any HubObserver = NoHubObserver(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) {
        let hub = Hub(configuration: configuration.hub, eventLoopGroup: eventLoopGroup, logger: logger, observer: observer)
        let router = Router()
        Routes(hub: hub, tokens: PublishTokens(configuration.publishTokens)).add(to: router)
        let application = Application(
            router: router,
            server: HTTPServerBuilder { responder in ViewerUpgradeChannel(hub: hub, responder: responder) },
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), backlog: 4096),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? configuration.port) },
            eventLoopGroupProvider: .shared(eventLoopGroup),
            logger: logger
        )
        self.hub = hub
        self.services = [
            application,
            HubService(hub: hub),
            ShutdownService(hub: hub, delay: configuration.shutdownDelay, grace: configuration.shutdownGrace),
        ]
    }
}
