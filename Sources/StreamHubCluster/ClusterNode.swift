import AsyncAlgorithms
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle
import StreamHubCore
import StreamHubRedis
import Synchronization

/// This node's part in a cluster, as the hub's ``Broker``: events numbered and shared through
/// Redis, stream state read from it, and viewer counts told to the other nodes.
///
/// Redis traffic per event is one script call and one message per node, whatever the viewer count.
/// While Redis is down the node serves its own viewers, counts the others' last reports until
/// they expire, and reconnects by itself.
public final class ClusterNode: Broker {
    public let configuration: ClusterConfiguration
    private let hubConfiguration: HubConfiguration
    private let hub: AttachedHub
    private let store: ClusterStore
    private let metrics: ClusterMetrics
    private let inbox: ClusterInbox
    private let link: RedisLink
    private let linkChanges: AsyncStream<Bool>
    private let logger: Logger

    /// - Parameters:
    ///   - configuration: Redis, node TTL and namespace.
    ///   - environment: The node's name (unique in the cluster), the hub's timings, the registry for
    ///     the `streamhub_cluster_*` families, loops for the Redis connections and the logger.
    public init(configuration: ClusterConfiguration, environment: BrokerFactory.Environment) {
        let hubConfiguration = environment.hubConfiguration
        let logger = environment.logger
        let hub = AttachedHub()
        let store = ClusterStore(
            namespace: configuration.namespace, stateTTLSeconds: max(1, Int(hubConfiguration.streamStateTTL.components.seconds)),
            historySize: hubConfiguration.historySize, historyTTLSeconds: max(1, Int(hubConfiguration.historyTTL.components.seconds)))
        let metrics = ClusterMetrics(registry: environment.registry)
        let inbox = ClusterInbox(
            me: ClusterSender(node: environment.nodeName, instance: .random(in: 1...Int64.max)), hub: hub, store: store, metrics: metrics,
            logger: logger
        )
        let (linkChanges, linkChanged) = AsyncStream.makeStream(of: Bool.self, bufferingPolicy: .bufferingNewest(8))
        self.configuration = configuration
        self.hubConfiguration = hubConfiguration
        self.hub = hub
        self.store = store
        self.metrics = metrics
        self.inbox = inbox
        self.linkChanges = linkChanges
        self.logger = logger
        self.link = RedisLink(
            configuration: .init(
                url: configuration.redisURL, channels: [store.eventsChannel, store.countsChannel], timeout: configuration.redisTimeout
            ),
            group: environment.eventLoopGroup,
            logger: logger,
            onMessage: inbox.receive,
            onLinkChange: { up in
                metrics.up.set(Int64(up ? 1 : 0))
                linkChanged.yield(up)
            },
            onReconnect: { metrics.reconnects.increment() },
            farewell: { connection in
                // Viewers are gone by now (the drain stops first): the others drop this node at once.
                let leaving = CountReport(sender: inbox.me, full: true, counts: [:], leaving: true)
                return connection.submit(store.publish(leaving)).map { _ in }
            }
        )
    }

    public func attach(_ context: BrokerContext) {
        hub.attach(context)
    }

    /// Whether Redis is reachable (both connections up).
    public var isLinkUp: Bool? { link.isUp }

    // MARK: Publishing

    /// Numbers the event in Redis and publishes it to every node; while Redis is down, it is numbered here.
    public func accept(_ request: PublishRequest, to streamID: StreamID, local: () -> StreamSnapshot) -> Acceptance {
        guard link.isUp else { return .numberHere(reach: .localOnly) }
        let local = local()
        let acceptedAt = Timestamp.nanosecondsSince1970()
        let command = store.publish(
            request, to: streamID,
            envelopePrefix: EventEnvelope.prefix(sender: inbox.me, streamID: streamID, request: request, acceptedAtNanos: acceptedAt),
            lastEventID: local.lastEventID, viewers: local.viewerCount, epoch: .random()
        )
        // Completed as Redis answers, on the connection's loop, so the hub applies a stream's events in id order.
        let assigned = link.submit(command).flatMapThrowing { [metrics] reply -> EventAssignment? in
            let (eventID, peak, epoch) = try ClusterStore.assignment(from: reply)
            metrics.sent.increment()
            return EventAssignment(eventID: eventID, epoch: epoch, peakViewers: peak, wallClock: Timestamp(nanosecondsSince1970: acceptedAt))
        }.recover { [logger] error in
            logger.warning(
                "Publishing through Redis failed; delivering to this node's viewers only",
                metadata: ["stream_id": "\(streamID)", "error": "\(error)"]
            )
            return nil
        }
        return .numbered(assigned)
    }

    // MARK: Stream state

    /// Reads the stream's hash (and for a resume its history) from Redis; `nil` while Redis is down.
    public func readState(of streamID: StreamID, for purpose: StateRead) -> EventLoopFuture<StoredStreamState>? {
        guard link.isUp else { return nil }
        return link.submit(store.readState(of: streamID, for: purpose, epoch: .random())).flatMapThrowing {
            try ClusterStore.storedState(from: $0, of: streamID, for: purpose)
        }
    }

    // MARK: Ingest liveness

    public func recordIngestAlive(_ streamID: StreamID, timeout: Duration) {
        guard link.isUp else { return }
        _ = link.submit(store.recordIngest("alive", of: streamID, for: timeout * 2))
    }

    public func recordIngestEnded(_ streamID: StreamID, timeout: Duration) {
        guard link.isUp else { return }
        _ = link.submit(store.recordIngest("ended", of: streamID, for: timeout))
    }

    public func checkIngestSilence(of streamID: StreamID, timeout: Duration) -> EventLoopFuture<IngestSilence>? {
        guard link.isUp else { return nil }
        return link.submit(store.checkIngestSilence(of: streamID, timeout: timeout)).flatMapThrowing { try ClusterStore.silence(from: $0) }
    }

    // MARK: Running

    public func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.link.run() }
            group.addTask {
                for await up in self.linkChanges.cancelOnGracefulShutdown() where up { self.rejoin() }
            }
            group.addTask { await self.reportCounts() }
        }
    }

    /// After (re)connecting: tells the others this node's counts and re-reads the streams it knows.
    private func rejoin() {
        guard let hub = self.hub.context else { return }
        sendReport(full: true, counts: hub.localCounts())
        hub.storeReconnected()
    }

    /// Every viewer-count interval: forgets silent nodes and reports changed counts, all counts every TTL ÷ 3.
    private func reportCounts() async {
        let fullEvery = configuration.nodeTTL / 3
        var lastFull = ContinuousClock.now
        let ticks = AsyncTimerSequence(interval: min(hubConfiguration.viewerCountInterval, fullEvery), clock: .continuous)
        for await now in ticks.cancelOnGracefulShutdown() {
            guard let hub = self.hub.context else { continue }
            inbox.expireNodes(ttl: configuration.nodeTTL)
            let changes = hub.takeLocalCountChanges()
            if now - lastFull >= fullEvery {
                lastFull = now
                sendReport(full: true, counts: hub.localCounts())
            } else if !changes.isEmpty {
                sendReport(full: false, counts: changes)
            }
        }
    }

    /// Publishes a count report and records the peaks it carries; nothing is sent while Redis is down.
    private func sendReport(full: Bool, counts: [StreamID: LocalStreamCount]) {
        guard link.isUp else { return }
        let report = CountReport(sender: inbox.me, full: full, counts: counts.mapValues(\.viewers))
        link.submit(store.publish(report)).whenSuccess { [metrics] _ in metrics.sent.increment() }
        let peaks = counts.filter { $0.value.viewers > 0 }.map { ($0.key, $0.value.peakViewers) }
        for start in stride(from: 0, to: peaks.count, by: 500) {
            _ = link.submit(store.recordPeaks(peaks[start..<min(start + 500, peaks.count)]))
        }
    }
}

extension BrokerFactory {
    /// Cluster mode: events, state and counts shared with every node using the same Redis.
    public static func redis(_ configuration: ClusterConfiguration) -> BrokerFactory {
        BrokerFactory { ClusterNode(configuration: configuration, environment: $0) }
    }
}
