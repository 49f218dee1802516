import AsyncAlgorithms
import Logging
import NIOCore
import NIOPosix
import Prometheus
import ServiceLifecycle
import StreamHubCore
import StreamHubRedis
import Synchronization

/// How far a publish went.
public enum ClusterReach: String, Sendable {
    /// Numbered by Redis and sent to every node.
    case published
    /// Redis was unreachable: numbered here and delivered to this node's viewers only.
    case localOnly = "local_only"
}

/// This node's part in a cluster: publishing through Redis, reading stream state from it, and
/// telling the other nodes its viewer counts.
///
/// Redis traffic per event is one script call and one message per node, whatever the viewer count.
/// While Redis is down the node serves its own viewers, counts the others' last reports until
/// they expire, and reconnects by itself.
public final class ClusterNode: Service {
    public let configuration: ClusterConfiguration
    private let hub: Hub
    private let store: ClusterStore
    private let metrics: ClusterMetrics
    private let inbox: ClusterInbox
    private let link: RedisLink
    private let linkChanges: AsyncStream<Bool>
    /// State reads in flight, so a join storm on a new stream reads it once.
    private let syncs = Mutex<[StreamID: EventLoopFuture<Void>]>([:])
    private let group: any EventLoopGroup
    private let logger: Logger

    /// - Parameters:
    ///   - configuration: Redis, node TTL and namespace.
    ///   - node: This node's name, unique in the cluster.
    ///   - hub: The hub whose events and counts are shared.
    ///   - registry: Where the `streamhub_cluster_*` families are registered.
    ///   - group: Loops for the Redis connections.
    ///   - logger: Logs Redis going up and down and dropped messages.
    public init(
        configuration: ClusterConfiguration,
        node: String,
        hub: Hub,
        registry: PrometheusCollectorRegistry,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) {
        let store = ClusterStore(
            namespace: configuration.namespace, stateTTLSeconds: max(1, Int(hub.configuration.streamStateTTL.components.seconds)))
        let metrics = ClusterMetrics(registry: registry)
        let inbox = ClusterInbox(
            me: ClusterSender(node: node, instance: .random(in: 1...Int64.max)), hub: hub, store: store, metrics: metrics, logger: logger
        )
        let (linkChanges, linkChanged) = AsyncStream.makeStream(of: Bool.self, bufferingPolicy: .bufferingNewest(8))
        self.configuration = configuration
        self.hub = hub
        self.store = store
        self.metrics = metrics
        self.inbox = inbox
        self.linkChanges = linkChanges
        self.group = group
        self.logger = logger
        self.link = RedisLink(
            configuration: .init(
                url: configuration.redisURL, channels: [store.eventsChannel, store.countsChannel], timeout: configuration.redisTimeout
            ),
            group: group,
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

    /// Whether Redis is reachable (both connections up).
    public var isUp: Bool { link.isUp }

    // MARK: Publishing

    /// Publishes an event to every node through Redis, or, while Redis is down, to this node's viewers only.
    public func publish(_ request: PublishRequest, to streamID: StreamID) async -> (PublishReceipt, ClusterReach) {
        let receivedAt = NIODeadline.now()
        let acceptedAt = Timestamp.nanosecondsSince1970()
        guard link.isUp else { return (hub.publish(request, to: streamID), .localOnly) }
        let state = hub.state(of: streamID)
        let command = store.publish(
            request, to: streamID,
            envelopePrefix: EventEnvelope.prefix(sender: inbox.me, streamID: streamID, request: request, acceptedAtNanos: acceptedAt),
            lastEventID: state.lastEventID, viewers: state.viewerCount
        )
        do {
            // Applied as Redis answers, on the connection's loop: local viewers get a stream's events in id order.
            let receipt = try await link.submit(command).flatMapThrowing { [hub] reply in
                let (eventID, peak) = try ClusterStore.assignment(from: reply)
                let assignment = ClusterAssignment(
                    eventID: eventID, peakViewers: peak, wallClock: Timestamp(nanosecondsSince1970: acceptedAt), receivedAt: receivedAt
                )
                return hub.publish(request, to: streamID, assigned: assignment)
            }.get()
            metrics.sent.increment()
            return (receipt, .published)
        } catch {
            logger.warning(
                "Publishing through Redis failed; delivering to this node's viewers only",
                metadata: ["stream_id": "\(streamID)", "error": "\(error)"]
            )
            return (hub.publish(request, to: streamID), .localOnly)
        }
    }

    // MARK: Stream state

    /// Reads the stream's state from Redis unless this node already has it; completes (never fails) when done.
    ///
    /// Called before a viewer's `stream_state` and before answering a state request, so a node that
    /// joins later tells viewers what every other node does. While Redis is down it completes at once.
    public func sync(_ streamID: StreamID, on loop: any EventLoop) -> EventLoopFuture<Void> {
        guard link.isUp, !hub.isSynced(streamID) else { return loop.makeSucceededVoidFuture() }
        let (read, started) = syncs.withLock { inFlight -> (EventLoopFuture<Void>, Bool) in
            if let running = inFlight[streamID] { return (running, false) }
            let read = link.submit(store.readState(of: streamID)).flatMapThrowing { [hub] reply in
                hub.merge(try ClusterStore.storedState(from: reply), into: streamID)
            }
            inFlight[streamID] = read
            return (read, true)
        }
        if started {
            read.whenComplete { [logger] result in
                self.syncs.withLock { $0[streamID] = nil }
                if case .failure(let error) = result {
                    logger.warning(
                        "Cannot read stream state from Redis; using this node's", metadata: ["stream_id": "\(streamID)", "error": "\(error)"])
                }
            }
        }
        return read.recover { _ in }.hop(to: loop)
    }

    /// Reads the stream's state from Redis unless this node already has it.
    public func sync(_ streamID: StreamID) async {
        try? await sync(streamID, on: group.any()).get()
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
        sendReport(full: true, counts: hub.localCounts())
        let loop = group.any()
        for streamID in hub.markAllUnsynced() { _ = sync(streamID, on: loop) }
    }

    /// Every viewer-count interval: forgets silent nodes and reports changed counts, all counts every TTL ÷ 3.
    private func reportCounts() async {
        let fullEvery = configuration.nodeTTL / 3
        var lastFull = ContinuousClock.now
        let ticks = AsyncTimerSequence(interval: min(hub.configuration.viewerCountInterval, fullEvery), clock: .continuous)
        for await now in ticks.cancelOnGracefulShutdown() {
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
