import FuzzSupport
import StreamHubIngest

/// A media-server callback, as anyone reaching the ingest routes may send one: the first byte picks
/// an nginx-rtmp body, an nginx-rtmp GET query or an SRS hook; read or refused, never a crash.
@main enum FuzzIngest {
    static func main() { runLibFuzzer(fuzzOne) }
}

private let template = try! StreamIDTemplate("{app}-{name}")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    let body = input.dropFirst()
    let callback: IngestCallback? =
        switch input[0] % 3 {
        case 0: try? NginxRTMPCallback.parse(FormFields(body))
        case 1: try? NginxRTMPCallback.parse(FormFields(body, questionMarkSeparates: true))
        default: try? SRSCallback.parse(body)
        }
    if let callback { _ = template.streamID(app: callback.app, name: callback.name) }
    return 0
}
