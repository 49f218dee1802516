import NIOCore
import ServiceLifecycle

/// The broker of a single node: events are numbered here and nothing crosses to another node.
public struct LocalBroker: Broker {
    public init() {}

    public func attach(_ context: BrokerContext) {}

    public func accept(_ request: PublishRequest, to streamID: StreamID, local: () -> StreamSnapshot) -> Acceptance {
        .numberHere(reach: .disabled)
    }

    public func readState(of streamID: StreamID, for purpose: StateRead) -> EventLoopFuture<StoredStreamState>? { nil }

    public var isLinkUp: Bool? { nil }

    public func recordIngestAlive(_ streamID: StreamID, timeout: Duration) {}

    public func recordIngestEnded(_ streamID: StreamID, timeout: Duration) {}

    public func checkIngestSilence(of streamID: StreamID, timeout: Duration) -> EventLoopFuture<IngestSilence>? { nil }

    public func run() async {
        try? await gracefulShutdown()
    }
}
