import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOWebSocket
import StreamHubCore

/// Hummingbird's HTTP/1 child channel, plus viewer upgrades handed straight to the hub as plain NIO handlers.
///
/// Upgraded viewers need no task and no async writer: after the 101 response the channel holds only
/// the hub's viewer handler, which reads its frames itself. A refused handshake is answered here
/// with its status and JSON error (NIO has consumed its request head). Publishes are answered ahead
/// of Hummingbird: on a single node by a ``PlainPublishHandler`` first in the pipeline, and by a
/// ``DirectPublishHandler`` for those it leaves to the pipeline. Until it is a viewer, an ``HTTPConnectionGuard``
/// holds the connection to the request and idle timeouts and the 16 KiB head.
struct ViewerUpgradeChannel: ServerChildChannel, HTTPChannelHandler {
    enum Negotiated: Sendable {
        case viewer
        case http(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
        /// A handshake that was refused; NIO has consumed its request head, so it is answered here.
        case refused(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>, APIError)
    }

    struct Value: ServerChildChannelValue {
        let negotiated: EventLoopFuture<Negotiated>
        let channel: any Channel
    }

    let hub: Hub
    /// Answers publishes below the router.
    let publishing: PublishEndpoint
    let edge: EdgeConfiguration
    let metrics: HubMetrics
    let responder: HTTPChannelHandler.Responder

    /// Answers a client that does not read them may leave queued before the connection stops being read.
    static let maxQueuedAnswerBytes = 64 * 1024

    /// The size of a connection's first read buffer, which NIO keeps for the connection's life:
    /// room for most upgrade requests in one read (reads that fill it grow the next ones), half
    /// NIO's default, since a viewer reads little more than pongs afterwards.
    static let firstReadBytes = 1024

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            /// Set once a handshake is attempted: the admitted viewer, or why it was refused.
            let outcome = NIOLoopBoundBox<Result<ViewerRequest, APIError>?>(nil, eventLoop: channel.eventLoop)
            let upgrader = ViewerUpgrader(
                shouldUpgrade: { channel, head in
                    outcome.value = admit(head, channel: channel, logger: logger)
                    guard case .success(let viewer) = outcome.value else { return channel.eventLoop.makeSucceededFuture(nil) }
                    return hub.loadState(of: viewer.streamID, resuming: viewer.resume, on: channel.eventLoop).map { HTTPHeaders() }
                },
                attempted: {
                    if outcome.value == nil { outcome.value = .failure(.badHandshake) }
                },
                attach: { channel in
                    guard case .success(let viewer) = outcome.value else { throw ChannelError.inappropriateOperationForState }
                    try HTTPConnectionGuard.remove(from: channel)
                    try hub.attachViewer(of: viewer.streamID, resuming: viewer.resume, grant: viewer.grant, to: channel)
                }
            )
            var configuration = NIOUpgradableHTTPServerPipelineConfiguration<Negotiated>(
                upgradeConfiguration: .init(upgraders: [upgrader]) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let pipeline = channel.pipeline.syncOperations
                        try pipeline.addHandler(KeepAliveNormalizer())
                        try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: false))
                        try pipeline.addHandler(HTTPConnectionStateHandler(idleTimeout: nil, logger: logger))
                        try pipeline.addHandler(DirectPublishHandler(endpoint: publishing))
                        let http = try NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>(
                            wrappingChannelSynchronously: channel,
                            configuration: .init(isOutboundHalfClosureEnabled: true)
                        )
                        if case .failure(let refusal) = outcome.value { return .refused(http, refusal) }
                        return .http(http)
                    }
                }
            )
            configuration.enablePipelining = false
            configuration.enableErrorHandling = false
            configuration.enableResponseHeaderValidation = false
            configuration.decoderConfiguration.maxHeaderFieldSize = HTTPConnectionGuard.maxHeadBytes
            configuration.decoderConfiguration.maxHeaderListSize = HTTPConnectionGuard.maxHeadBytes
            // Until it is a viewer (whose limit is `--max-queued-bytes`), the bound on unread answers.
            let high = Self.maxQueuedAnswerBytes
            try channel.syncOptions?.setOption(.writeBufferWaterMark, value: .init(low: high / 2, high: high))
            try channel.syncOptions?.setOption(
                .recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: Self.firstReadBytes, maximum: 64 * 1024))
            let negotiated = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(configuration: configuration)
            let connectionGuard = HTTPConnectionGuard(
                requestTimeout: edge.requestTimeout, idleTimeout: edge.idleTimeout, metrics: metrics, logger: logger)
            try HTTPConnectionGuard.install(in: channel, connectionGuard)
            if hub.broker.isLinkUp == nil {
                try channel.pipeline.syncOperations.addHandler(
                    PlainPublishHandler(endpoint: publishing, guard: connectionGuard), position: .first)
            }
            return Value(negotiated: negotiated, channel: channel)
        }
    }

    /// What an admitted handshake asked for.
    struct ViewerRequest {
        let streamID: StreamID
        let resume: ResumePoint?
        /// What the viewer's token allows; `nil` with viewer authentication off.
        let grant: ViewerGrant?
    }

    private func admit(_ head: HTTPRequestHead, channel: any Channel, logger: Logger) -> Result<ViewerRequest, APIError> {
        guard head.method == .GET, let rawID = Routes.viewerStreamID(path: head.uri) else { return .failure(.noWebSocketHere) }
        let query = ViewerQuery(uri: head.uri)
        let resume: ResumePoint?
        do {
            resume = try ResumePoint(since: query["since"], epoch: query["epoch"])
        } catch {
            hub.recordRejection(.badRequest)
            return .failure(APIError(.badRequest, error.message))
        }
        let client = edge.trustedProxies.client(
            peer: channel.remoteAddress.flatMap(ClientAddress.init), forwardedFor: head.headers[canonicalForm: "x-forwarded-for"].map(String.init)
        )
        func refused(_ reason: ViewerRejection) {
            logger.debug("Viewer refused", metadata: ["reason": "\(reason.rawValue)", "client": "\(client.map { "\($0)" } ?? "unknown")"])
        }
        let streamID: StreamID
        switch hub.admit(streamID: String(rawID), origin: head.headers.first(name: "origin"), client: client, channel: channel) {
        case .success(let admitted): streamID = admitted
        case .failure(let rejection):
            refused(rejection)
            return .failure(APIError(rejection))
        }
        // After admission, so the connect rate and the limits also bound what token checks cost.
        switch hub.authorize(token: query["token"] ?? Routes.bearerToken(head.headers.first(name: "authorization")), for: streamID) {
        case .success(let grant):
            return .success(ViewerRequest(streamID: streamID, resume: resume, grant: grant))
        case .failure(let failure):
            refused(failure.rejection)
            return .failure(APIError(failure))
        }
    }

    func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.negotiated.get() {
            case .viewer:
                return  // The channel now belongs to its viewer handler.
            case .http(let http):
                await handleHTTP(asyncChannel: http, logger: logger)
            case .refused(let http, let refusal):
                try await http.executeThenClose { _, outbound in
                    let response = refusal.response
                    var head = HTTPResponse(status: response.status, headerFields: response.headers)
                    head.headerFields[.connection] = "close"
                    let body = refusal.body
                    head.headerFields[.contentLength] = "\(body.readableBytes)"
                    try await outbound.write(contentsOf: [.head(head), .body(body), .end(nil)])
                }
            }
        } catch {
            logger.debug("Connection ended before its first request", metadata: ["error": "\(error)"])
        }
    }
}
