import Logging
import NIOCore
import Prometheus

/// How a node gets its broker, built once the node's name and metrics registry are known.
///
/// ``local`` is a single node; `StreamHubCluster` adds `.redis(_:)`.
public struct BrokerFactory: Sendable {
    /// What a broker may need from the node that runs it.
    public struct Environment: Sendable {
        /// This node's name, unique among the nodes.
        public let nodeName: String
        public let hubConfiguration: HubConfiguration
        /// Where a broker registers its own metric families.
        public let registry: PrometheusCollectorRegistry
        public let eventLoopGroup: any EventLoopGroup
        public let logger: Logger

        public init(
            nodeName: String, hubConfiguration: HubConfiguration, registry: PrometheusCollectorRegistry, eventLoopGroup: any EventLoopGroup,
            logger: Logger
        ) {
            self.nodeName = nodeName
            self.hubConfiguration = hubConfiguration
            self.registry = registry
            self.eventLoopGroup = eventLoopGroup
            self.logger = logger
        }
    }

    private let make: @Sendable (Environment) -> any Broker

    public init(_ make: @escaping @Sendable (Environment) -> any Broker) {
        self.make = make
    }

    /// One node: nothing crosses to another.
    public static var local: BrokerFactory { BrokerFactory { _ in LocalBroker() } }

    public func makeBroker(_ environment: Environment) -> any Broker {
        make(environment)
    }
}
