import FuzzSupport
import NIOCore
import StreamHubRedis

/// Bytes from Redis, in two reads split where the input's first byte says: values or a refusal, never a crash.
@main enum FuzzRESP {
    static func main() { runLibFuzzer(fuzzOne) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = UnsafeBufferPointer(start: data, count: size)
    guard let split = bytes.first.map({ Int($0) % (size) }) else { return 0 }
    var decoder = RESPDecoder()
    var buffer = ByteBuffer(bytes: bytes[1..<max(1, split)])
    do {
        while try decoder.next(&buffer) != nil {}
        buffer.writeBytes(bytes[max(1, split)...])
        while try decoder.next(&buffer) != nil {}
    } catch {}
    return 0
}
