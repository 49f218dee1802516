import NIOCore
import Synchronization

/// A message's WebSocket frame, encoded on first use by whoever needs it first and shared after.
///
/// The broadcast and the stream's history hold the same frame, so a replayed event is byte for
/// byte what was first sent. Once encoded it lets go of what it was encoded from.
final class LazyFrame: Sendable {
    private enum State {
        case pending(@Sendable () -> ByteBuffer)
        case encoded(ByteBuffer)
    }

    private let state: Mutex<State>

    init(_ encode: @escaping @Sendable () -> ByteBuffer) {
        state = Mutex(.pending(encode))
    }

    init(encoded frame: ByteBuffer) {
        state = Mutex(.encoded(frame))
    }

    var frame: ByteBuffer {
        state.withLock { state in
            switch state {
            case .encoded(let frame):
                return frame
            case .pending(let encode):
                let frame = encode()
                state = .encoded(frame)
                return frame
            }
        }
    }
}
