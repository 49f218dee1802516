import FuzzSupport
import NIOCore
import NIOEmbedded
import NIOHTTP1
import StreamHubCore

/// Bytes from anyone who can reach the hub's port: whatever ``PlainPublishHead`` takes as a plain
/// publish, NIO's HTTP/1 decoder (the pipeline's reader) must read as the same request, with the
/// same target, token, keep-alive and body length; anything else is a crash.
@main enum FuzzPlainPublish {
    static func main() { runLibFuzzer(fuzzOne) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    guard case .head(let plain) = PlainPublishHead.parse(bytes) else { return 0 }
    let channel = EmbeddedChannel(handler: ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes)))
    defer { _ = try? channel.finish() }
    let request = min(size, plain.headBytes + plain.bodyBytes)
    do {
        try channel.writeInbound(ByteBuffer(bytes: bytes[..<request]))
    } catch {
        fatalError("NIO refuses a plain publish: \(error)\n\(String(decoding: bytes[..<plain.headBytes], as: UTF8.self))")
    }
    guard case .head(let head) = try? channel.readInbound(as: HTTPServerRequestPart.self) else { fatalError("NIO read no head") }
    check(head.method == .POST && head.version == .http1_1, "method or version")
    check(head.uri == plain.target, "target \(head.uri) against \(plain.target)")
    // Values as the HTTP types that the pipeline turns NIO's headers into give them: without surrounding whitespace.
    let isSpace = { (character: Character) in character == " " || character == "\t" }
    let trimmed = { (value: String) in String(value.drop(while: isSpace).reversed().drop(while: isSpace).reversed()) }
    let lengths = head.headers["content-length"]
    check(lengths.count == 1 && Int(trimmed(lengths[0])) == plain.bodyBytes, "length \(lengths) against \(plain.bodyBytes)")
    let authorization = head.headers["authorization"].first.map(trimmed)
    check(authorization == plain.authorization, "authorization \(head.headers["authorization"])")
    check(head.isKeepAlive == !plain.closesConnection, "keep-alive")
    check(head.headers["transfer-encoding"].isEmpty && head.headers["expect"].isEmpty && head.headers["upgrade"].isEmpty, "framing headers")
    var body = 0
    var ended = false
    while let part = try? channel.readInbound(as: HTTPServerRequestPart.self) {
        switch part {
        case .head: fatalError("a second head")
        case .body(let chunk): body += chunk.readableBytes
        case .end: ended = true
        }
    }
    if request == plain.headBytes + plain.bodyBytes {
        check(ended && body == plain.bodyBytes, "body \(body) of \(plain.bodyBytes), ended \(ended)")
    }
    return 0
}

private func check(_ condition: Bool, _ what: @autoclosure () -> String) {
    if !condition { fatalError("NIO reads the plain publish otherwise: \(what())") }
}
