import FuzzSupport
import StreamHubCore

/// A publish body, as any client may send one: parsed or refused, never a crash.
@main enum FuzzPublishBody {
    static func main() { runLibFuzzer(fuzzOne) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let body = Array(UnsafeBufferPointer(start: data, count: size))
    if let request = try? PublishRequest(body: body[...]) {
        _ = request.dataObject
    }
    return 0
}
