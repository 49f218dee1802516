import FuzzSupport
import NIOCore

@testable import StreamHubCore

/// Bytes from a viewer, in reads cut every `first byte` bytes: the frame reader, its UTF-8 checks
/// and the protocol state machine answer or close, never crash.
@main enum FuzzViewerFrames {
    static func main() { runLibFuzzer(fuzzOne) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = UnsafeBufferPointer(start: data, count: size)
    guard let first = bytes.first else { return 0 }
    let chunk = Int(first % 32) + 1
    var reader = ViewerFrameReader(maxFrameSize: HubConfiguration.maxViewerMessageBytes)
    var machine = ViewerStateMachine()
    var start = 1
    while start < size {
        var read = ByteBuffer(bytes: bytes[start..<min(size, start + chunk)])
        start += chunk
        reader.append(&read)
        do {
            while machine.state != .closed, let piece = try reader.next() {
                if case .close = machine.received(piece) { machine.socketClosed() }
            }
        } catch {
            return 0
        }
    }
    return 0
}
