import AsyncAlgorithms
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle
import StreamHubCore
import Synchronization

/// What an accepted callback did.
public enum IngestOutcome: Sendable {
    /// The callback's `stream_started` or `stream_ended` was published.
    case published(IngestCall, PublishReceipt)
    /// A liveness update was noted.
    case alive(StreamID)
    /// A call about something other than the publish (a player, a connection): nothing to do.
    case ignored
}

/// Turns media-server callbacks into `stream_started` and `stream_ended`, and ends the streams whose
/// media server stopped sending liveness updates (a crashed server sends no end).
///
/// Run it as a service: its timer ends the silent streams.
public final class IngestCallbacks: Service, Sendable {
    public let configuration: IngestConfiguration
    private let hub: Hub
    private let metrics: IngestMetrics
    private let logger: Logger
    private let secrets: [[UInt8]]
    private let liveness = Mutex(IngestLiveness())

    public init(configuration: IngestConfiguration, hub: Hub, registry: PrometheusCollectorRegistry, logger: Logger) {
        self.configuration = configuration
        self.hub = hub
        self.metrics = IngestMetrics(registry: registry)
        self.logger = logger
        self.secrets = configuration.secrets.map { Array($0.utf8) }
    }

    /// Checks the secret, then reads the callback with `parse` and acts on it. The secret is
    /// checked first so that a caller without it learns nothing about what it sent.
    public func receive(
        from server: IngestServer, secret: String?, parse: () throws(IngestRefusal) -> IngestCallback
    ) async -> Result<IngestOutcome, IngestRefusal> {
        let parsed = Result(catching: parse)
        let call = (try? parsed.get())?.call ?? .other
        guard accepts(secret: secret) else { return refuse(server, call, .wrongSecret) }
        let callback: IngestCallback
        switch parsed {
        case .success(let read): callback = read
        case .failure(let refusal): return refuse(server, call, refusal)
        }
        if callback.call == .other {
            metrics.count(server, call, accepted: true)
            return .success(.ignored)
        }
        guard let streamID = configuration.streamID.streamID(app: callback.app, name: callback.name) else {
            return refuse(
                server, call,
                .badRequest(
                    "application \"\(callback.app.prefix(64))\" and stream \"\(callback.name.prefix(64))\" make no valid stream id through "
                        + "\(configuration.streamID): \(StreamID.validationMessage)")
            )
        }
        metrics.count(server, call, accepted: true)
        do {
            return .success(try await act(on: callback, streamID: streamID))
        } catch {
            return .failure(IngestRefusal(status: 503, message: "the hub is shutting down"))
        }
    }

    /// Ends, every tenth of the timeout, the streams that sent an update and then none for the timeout.
    public func run() async throws {
        let timeout = configuration.timeout
        let interval = max(.milliseconds(50), min(.seconds(5), timeout / 10))
        for await _ in AsyncTimerSequence(interval: interval, clock: .continuous).cancelOnGracefulShutdown() {
            for silent in liveness.withLock({ $0.silent(for: timeout, at: .now) }) { await end(silent) }
        }
    }

    private func act(on callback: IngestCallback, streamID: StreamID) async throws -> IngestOutcome {
        let source = JSONMember(key: "source", string: callback.server.rawValue)
        switch callback.call {
        case .publish:
            forgetLiveness(of: streamID)
            logger.info("Stream went live", metadata: ["stream": "\(streamID)", "ingest": "\(callback.server.rawValue)"])
            let request = PublishRequest(event: .streamStarted, members: [source, JSONMember(key: "app", string: callback.app)])
            return .published(.publish, try await hub.publish(request, to: streamID))
        case .publishDone:
            forgetLiveness(of: streamID)
            logger.info("Stream ended", metadata: ["stream": "\(streamID)", "ingest": "\(callback.server.rawValue)"])
            return .published(.publishDone, try await hub.publish(Self.streamEnded(by: callback.server, reason: "publish_done"), to: streamID))
        case .update:
            liveness.withLock { $0.updated(streamID, by: callback.server, at: .now) }
            hub.broker.recordIngestAlive(streamID, timeout: configuration.timeout)
            return .alive(streamID)
        case .other:
            return .ignored
        }
    }

    /// A new publish starts a session that has sent no update yet; an end closes it: on every node.
    private func forgetLiveness(of streamID: StreamID) {
        liveness.withLock { $0.forget(streamID) }
        hub.broker.recordIngestEnded(streamID, timeout: configuration.timeout)
    }

    /// Ends a stream this node last heard of longer ago than the timeout, unless another node heard
    /// since (then it waits as long as that node would), it ended already, or an update or a
    /// publish came in meanwhile.
    private func end(_ silent: IngestLiveness.Silent) async {
        let (streamID, timeout) = (silent.streamID, configuration.timeout)
        let silence = (try? await hub.broker.checkIngestSilence(of: streamID, timeout: timeout)?.get()) ?? .silent
        if case .alive(let remaining) = silence {
            _ = liveness.withLock { $0.settle(silent, rearmedAt: .now - timeout + remaining) }
            return
        }
        let live = silence == .silent ? await hub.currentState(of: streamID).status == .live : false
        guard liveness.withLock({ $0.settle(silent, rearmedAt: nil) }), live else { return }
        logger.warning(
            "No update from the media server within the ingest timeout; ending the stream",
            metadata: ["stream": "\(streamID)", "ingest": "\(silent.server.rawValue)", "timeout": "\(timeout)"]
        )
        _ = try? await hub.publish(Self.streamEnded(by: silent.server, reason: "ingest_timeout"), to: streamID)
    }

    /// `stream_ended` with `{"source": …, "reason": …}`.
    private static func streamEnded(by server: IngestServer, reason: String) -> PublishRequest {
        PublishRequest(event: .streamEnded, members: [JSONMember(key: "source", string: server.rawValue), JSONMember(key: "reason", string: reason)])
    }

    private func accepts(secret: String?) -> Bool {
        guard let secret else { return false }
        var matched = false
        for expected in secrets { matched = ConstantTime.equals(secret.utf8, expected) || matched }
        return matched
    }

    private func refuse(_ server: IngestServer, _ call: IngestCall, _ refusal: IngestRefusal) -> Result<IngestOutcome, IngestRefusal> {
        metrics.count(server, call, accepted: false)
        logger.info("Refused an ingest callback", metadata: ["ingest": "\(server.rawValue)", "call": "\(call.rawValue)", "reason": "\(refusal)"])
        return .failure(refusal)
    }
}
