import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOWebSocket
import StreamHubCluster
import StreamHubCore

/// Hummingbird's HTTP/1 child channel, plus viewer upgrades handed straight to the hub as plain NIO handlers.
///
/// Upgraded viewers need no task and no async writer: after the 101 response the channel holds only
/// the hub's viewer handler, which reads its frames itself. A refused handshake is answered here
/// with its status and JSON error (NIO has consumed its request head). A single node answers its
/// publishes in a ``DirectPublishHandler`` ahead of Hummingbird.
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
    /// In cluster mode, reads a stream's state from Redis before the first `stream_state` this node sends for it.
    let cluster: ClusterNode?
    /// Answers publishes below the router; `nil` in cluster mode, whose publishes are async.
    let directPublishing: PublishEndpoint?
    let responder: HTTPChannelHandler.Responder

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            /// Set once a handshake is attempted: the admitted stream, or why it was refused.
            let outcome = NIOLoopBoundBox<Result<StreamID, APIError>?>(nil, eventLoop: channel.eventLoop)
            let upgrader = ViewerUpgrader(
                shouldUpgrade: { channel, head in
                    outcome.value = admit(head, channel: channel)
                    guard case .success(let streamID) = outcome.value else { return channel.eventLoop.makeSucceededFuture(nil) }
                    let synced = cluster?.sync(streamID, on: channel.eventLoop) ?? channel.eventLoop.makeSucceededVoidFuture()
                    return synced.map { HTTPHeaders() }
                },
                attempted: {
                    if outcome.value == nil { outcome.value = .failure(.badHandshake) }
                },
                attach: { channel in
                    guard case .success(let streamID) = outcome.value else { throw ChannelError.inappropriateOperationForState }
                    try hub.attachViewer(of: streamID, to: channel)
                }
            )
            var configuration = NIOUpgradableHTTPServerPipelineConfiguration<Negotiated>(
                upgradeConfiguration: .init(upgraders: [upgrader]) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
                        if let directPublishing {
                            try channel.pipeline.syncOperations.addHandler(DirectPublishHandler(endpoint: directPublishing))
                        }
                        try channel.pipeline.syncOperations.addHandler(HTTPConnectionStateHandler(logger: logger))
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
            let negotiated = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(configuration: configuration)
            return Value(negotiated: negotiated, channel: channel)
        }
    }

    private func admit(_ head: HTTPRequestHead, channel: any Channel) -> Result<StreamID, APIError> {
        guard head.method == .GET, let rawID = Routes.viewerStreamID(path: head.uri) else { return .failure(.noWebSocketHere) }
        return hub.admit(streamID: String(rawID), origin: head.headers.first(name: "origin"), channel: channel)
            .mapError(APIError.init)
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
