import NIOCore
import NIOWebSocket

/// The RFC 6455 side of a viewer connection as a pure state machine: frames in, actions out.
///
/// It owns no socket and no timer; ``ViewerHandler`` performs the actions. Data messages are
/// counted (over ``maxMessageBytes`` across fragments closes with 1009), their text checked as it
/// arrives (1007 at the first byte that is not UTF-8), and otherwise ignored.
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
    /// The data message being received, across its fragments; `nil` between messages.
    private var message: (bytes: Int, isText: Bool)?
    /// Whether the data frame being received ends its message.
    private var frameIsFinal = false
    private var text = UTF8Validator()

    init(maxMessageBytes: Int = HubConfiguration.maxViewerMessageBytes) {
        self.maxMessageBytes = maxMessageBytes
    }

    mutating func received(_ piece: ViewerFrameReader.Piece) -> Action {
        guard state != .closed else { return .none }
        switch piece {
        case .control(let frame): return receivedControl(frame)
        case .dataHeader(let header): return receivedDataHeader(header)
        case .payload(let bytes, let frameEnds): return receivedPayload(bytes, frameEnds: frameEnds)
        }
    }

    private mutating func receivedControl(_ frame: WebSocketFrame) -> Action {
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
        default:
            return .close(.protocolError, cause: .protocol)
        }
    }

    private mutating func receivedDataHeader(_ header: ViewerFrameReader.DataHeader) -> Action {
        guard header.masked, header.reservedBits == 0 else { return .close(.protocolError, cause: .protocol) }
        switch header.opcode {
        case .text, .binary:
            guard message == nil else { return .close(.protocolError, cause: .protocol) }
            message = (0, header.opcode == .text)
            text = UTF8Validator()
        case .continuation:
            guard message != nil else { return .close(.protocolError, cause: .protocol) }
        default:
            return .close(.protocolError, cause: .protocol)
        }
        message!.bytes += header.length
        guard message!.bytes <= maxMessageBytes else { return .close(.messageTooBig, cause: .protocol) }
        frameIsFinal = header.fin
        return .none
    }

    /// Text is checked as it arrives: the first byte that is not UTF-8 closes with 1007.
    private mutating func receivedPayload(_ bytes: ByteBuffer, frameEnds: Bool) -> Action {
        guard state == .open, let current = message else { return .none }
        if current.isText, !text.validate(bytes) { return .close(.invalidText, cause: .protocol) }
        guard frameEnds, frameIsFinal else { return .none }
        message = nil
        return current.isText && !text.isComplete ? .close(.invalidText, cause: .protocol) : .none
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

    private mutating func receivedClose(_ frame: WebSocketFrame) -> Action {
        guard state == .open else { return .closeSocket }
        state = .closing
        var payload = frame.unmaskedData
        guard payload.readableBytes != 1 else { return .replyToClose(.protocolError, cause: .protocol) }
        guard let code = payload.readInteger(as: UInt16.self) else { return .replyToClose(.normal, cause: .client) }
        guard Self.mayBeSent(code) else { return .replyToClose(.protocolError, cause: .protocol) }
        var reason = UTF8Validator()
        guard reason.validate(payload), reason.isComplete else { return .replyToClose(.invalidText, cause: .protocol) }
        return .replyToClose(.echo(code: code), cause: .client)
    }

    /// Codes a peer may put in a close frame (RFC 6455 §7.4 and the IANA registry); 1004–1006 and 1015 may not.
    private static func mayBeSent(_ code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1014, 3000...4999: true
        default: false
        }
    }
}
