import Logging
import NIOCore
import StreamHubCore

/// Counts and logs failed accepts on a listening channel (out of file descriptors, most often).
///
/// First in the listener's pipeline; SwiftNIO's own `AcceptBackoffHandler` behind it waits a
/// second before accepting again, so the hub accepts within a second of descriptors being free.
final class AcceptErrorWatch: ChannelInboundHandler {
    typealias InboundIn = any Channel

    /// At most one warning per this interval; the count covers every failure.
    static let logInterval = TimeAmount.seconds(10)

    private let metrics: HubMetrics
    private let logger: Logger
    private var lastLogged: NIODeadline?
    private var unlogged = 0

    init(metrics: HubMetrics, logger: Logger) {
        self.metrics = metrics
        self.logger = logger
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is IOError {
            metrics.acceptFailed()
            unlogged += 1
            let now = NIODeadline.now()
            if lastLogged.map({ now - $0 >= Self.logInterval }) ?? true {
                logger.warning(
                    "Accepting connections failed; retrying in 1 s",
                    metadata: ["error": "\(error)", "failures": "\(unlogged)", "open_files_hint": "raise LimitNOFILE / ulimit -n"]
                )
                (lastLogged, unlogged) = (now, 0)
            }
        }
        context.fireErrorCaught(error)
    }
}
