import NIOCore
import NIOHTTP1
import NIOWebSocket
import StreamHubCore

/// The WebSocket handshake for viewers, without NIO's frame encoder.
///
/// NIO's upgrader checks the request and computes `Sec-WebSocket-Accept`; the pipeline after the
/// 101 is the hub's own (see ``Hub/attachViewer(of:to:)``), because the hub writes ready-made
/// frames that an encoder would try to re-frame.
struct ViewerUpgrader: NIOTypedHTTPServerProtocolUpgrader {
    typealias UpgradeResult = ViewerUpgradeChannel.Negotiated

    private let handshake: NIOTypedWebSocketServerUpgrader<UpgradeResult>
    private let attempted: @Sendable () -> Void
    private let attach: @Sendable (any Channel) throws -> Void

    /// - Parameters:
    ///   - shouldUpgrade: Response headers when the viewer may connect, `nil` to refuse.
    ///   - attempted: Called when a request asks for the upgrade, before its headers are checked.
    ///   - attach: Sets up the upgraded channel.
    init(
        shouldUpgrade: @escaping @Sendable (any Channel, HTTPRequestHead) -> EventLoopFuture<HTTPHeaders?>,
        attempted: @escaping @Sendable () -> Void,
        attach: @escaping @Sendable (any Channel) throws -> Void
    ) {
        self.handshake = NIOTypedWebSocketServerUpgrader(
            shouldUpgrade: shouldUpgrade,
            upgradePipelineHandler: { channel, _ in channel.eventLoop.makeSucceededFuture(.viewer) }
        )
        self.attempted = attempted
        self.attach = attach
    }

    var supportedProtocol: String { handshake.supportedProtocol }

    var requiredUpgradeHeaders: [String] { handshake.requiredUpgradeHeaders }

    func buildUpgradeResponse(
        channel: any Channel,
        upgradeRequest: HTTPRequestHead,
        initialResponseHeaders: HTTPHeaders
    ) -> EventLoopFuture<HTTPHeaders> {
        let response = handshake.buildUpgradeResponse(
            channel: channel,
            upgradeRequest: upgradeRequest,
            initialResponseHeaders: initialResponseHeaders
        )
        attempted()
        return response
    }

    func upgrade(channel: any Channel, upgradeRequest: HTTPRequestHead) -> EventLoopFuture<UpgradeResult> {
        channel.eventLoop.makeCompletedFuture {
            try attach(channel)
            return .viewer
        }
    }
}
