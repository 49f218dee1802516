import NIOCore
import NIOWebSocket

/// The RFC 6455 side of a viewer connection as a pure state machine: frames in, actions out.
///
/// It owns no socket and no timer; ``ViewerHandler`` performs the actions. Data messages are
/// counted (over ``maxMessageBytes`` across fragments closes with 1009) and otherwise ignored.
struct ViewerStateMachine {
    enum State: Equatable {
        case open
        /// A close frame was sent or answered; only the socket's close is left.
        case closing
        case closed
    }

    enum Action: Equatable {
        case none
        /// Answer a ping with this payload.
        case sendPong(ByteBuffer)
        /// A pong echoing a heartbeat ping's payload.
        case pongReceived(UInt64)
        /// Start the hub's close handshake.
        case close(CloseReason, cause: ViewerCloseCause)
        /// The viewer sent a close: send this reply, then close the socket.
        case replyToClose(CloseReason, cause: ViewerCloseCause)
        /// The viewer answered the hub's close: the handshake is complete.
        case closeSocket
    }

    let maxMessageBytes: Int
    private(set) var state = State.open
    /// Bytes of the data message being received, across its fragments; `nil` between messages.
    private var messageBytes: Int?

    init(maxMessageBytes: Int = HubConfiguration.maxViewerMessageBytes) {
        self.maxMessageBytes = maxMessageBytes
    }

    mutating func received(_ frame: WebSocketFrame) -> Action {
        guard state != .closed else { return .none }
        guard frame.maskKey != nil, !frame.rsv1, !frame.rsv2, !frame.rsv3 else { return .close(.protocolError, cause: .protocol) }
        switch frame.opcode {
        case .ping:
            return state == .open ? .sendPong(frame.unmaskedData) : .none
        case .pong:
            var payload = frame.unmaskedData
            guard payload.readableBytes == 8, let sent = payload.readInteger(as: UInt64.self) else { return .none }
            return .pongReceived(sent)
        case .connectionClose:
            return receivedClose(frame)
        case .text, .binary:
            guard messageBytes == nil else { return .close(.protocolError, cause: .protocol) }
            return count(frame)
        case .continuation:
            guard messageBytes != nil else { return .close(.protocolError, cause: .protocol) }
            return count(frame)
        default:
            return .close(.protocolError, cause: .protocol)
        }
    }

    /// What to do when the frame reader refuses the bytes.
    func readFailed(tooBig: Bool) -> Action {
        tooBig ? .close(.messageTooBig, cause: .protocol) : .close(.protocolError, cause: .protocol)
    }

    /// The hub closes the viewer; `true` when a close frame is to be sent (only from ``State/open``).
    mutating func startClosing() -> Bool {
        guard state == .open else { return false }
        state = .closing
        return true
    }

    mutating func socketClosed() {
        state = .closed
    }

    private mutating func count(_ frame: WebSocketFrame) -> Action {
        let total = (messageBytes ?? 0) + frame.length
        guard total <= maxMessageBytes else { return .close(.messageTooBig, cause: .protocol) }
        messageBytes = frame.fin ? nil : total
        return .none
    }

    private mutating func receivedClose(_ frame: WebSocketFrame) -> Action {
        guard state == .open else { return .closeSocket }
        state = .closing
        var payload = frame.unmaskedData
        switch payload.readInteger(as: UInt16.self) {
        case nil: return .replyToClose(.normal, cause: .client)
        case let code? where Self.isValidCloseCode(code): return .replyToClose(.echo(code: code), cause: .client)
        case _?: return .replyToClose(.protocolError, cause: .protocol)
        }
    }

    private static func isValidCloseCode(_ code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1011, 3000...4999: true
        default: false
        }
    }
}
