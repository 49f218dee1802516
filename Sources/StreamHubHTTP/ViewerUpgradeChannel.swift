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
/// the frame decoder and the hub's viewer handler. A refused upgrade falls through to the router,
/// whose `/ws` route answers with the status and JSON error.
struct ViewerUpgradeChannel: ServerChildChannel, HTTPChannelHandler {
    enum Negotiated: Sendable {
        case viewer
        case http(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
    }

    struct Value: ServerChildChannelValue {
        let negotiated: EventLoopFuture<Negotiated>
        let channel: any Channel
    }

    let hub: Hub
    let responder: HTTPChannelHandler.Responder

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let admitted = NIOLoopBoundBox<StreamID?>(nil, eventLoop: channel.eventLoop)
            let upgrader = ViewerUpgrader(
                shouldUpgrade: { channel, head in
                    channel.eventLoop.makeCompletedFuture {
                        guard head.method == .GET, let rawID = Routes.viewerStreamID(path: head.uri) else { return nil }
                        let origin = head.headers.first(name: "origin")
                        guard case .success(let streamID) = hub.admit(streamID: String(rawID), origin: origin, channel: channel)
                        else { return nil }
                        admitted.value = streamID
                        return HTTPHeaders()
                    }
                },
                attach: { channel in
                    guard let streamID = admitted.value else { throw ChannelError.inappropriateOperationForState }
                    try hub.attachViewer(of: streamID, to: channel)
                }
            )
            var configuration = NIOUpgradableHTTPServerPipelineConfiguration<Negotiated>(
                upgradeConfiguration: .init(upgraders: [upgrader]) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
                        try channel.pipeline.syncOperations.addHandler(HTTPConnectionStateHandler(logger: logger))
                        return .http(try NIOAsyncChannel(wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true)))
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

    func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.negotiated.get() {
            case .viewer:
                return  // The channel now belongs to its viewer handler.
            case .http(let http):
                await handleHTTP(asyncChannel: http, logger: logger)
            }
        } catch {
            logger.debug("Connection ended before its first request", metadata: ["error": "\(error)"])
        }
    }
}
