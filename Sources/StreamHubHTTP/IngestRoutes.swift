import Hummingbird
import NIOCore
import StreamHubCore
import StreamHubIngest

/// `/api/v1/ingest/nginx-rtmp` and `/api/v1/ingest/srs`: media-server callbacks, the secret in the
/// URL's query (neither server can add a header).
///
/// Both answer alike, in the shape SRS asks for and nginx-rtmp ignores but for the status:
/// `200 {"code":0, …}` accepts; a refusal's status with `{"code": status, "error": …}` refuses.
struct IngestRoutes {
    let ingest: IngestCallbacks

    func add(to router: Router<BasicRequestContext>) {
        let routes = router.group("api/v1/ingest")
        routes.post("nginx-rtmp") { request, _ in
            let secret = FormFields(Array((request.uri.query ?? "").utf8))["secret"]
            let body = try await Self.body(of: request)
            return Self.answer(
                await ingest.receive(from: .nginxRTMP, secret: secret) { () throws(IngestRefusal) in
                    try NginxRTMPCallback.parse(FormFields(body.readableBytesView))
                })
        }
        // `notify_method get`: the module appends `?fields` even to a URL that holds `?secret=S`.
        routes.get("nginx-rtmp") { request, _ in
            let fields = FormFields(Array((request.uri.query ?? "").utf8), questionMarkSeparates: true)
            return Self.answer(
                await ingest.receive(from: .nginxRTMP, secret: fields["secret"]) { () throws(IngestRefusal) in
                    try NginxRTMPCallback.parse(fields)
                })
        }
        routes.post("srs") { request, _ in
            let secret = FormFields(Array((request.uri.query ?? "").utf8))["secret"]
            let body = try await Self.body(of: request)
            return Self.answer(
                await ingest.receive(from: .srs, secret: secret) { () throws(IngestRefusal) in
                    try SRSCallback.parse(Array(body.readableBytesView)[...])
                })
        }
    }

    private static func body(of request: Request) async throws -> ByteBuffer {
        do {
            return try await request.body.collect(upTo: PublishRequest.maxBodyBytes)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw APIError(.contentTooLarge, "callback body is over the limit of \(PublishRequest.maxBodyBytes) bytes")
        }
    }

    private static func answer(_ result: Result<IngestOutcome, IngestRefusal>) -> Response {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("code")
        switch result {
        case .success(let outcome):
            writer.integer(0)
            switch outcome {
            case .published(let call, let receipt):
                writer.key("call")
                writer.string(call.rawValue)
                writer.key("stream_id")
                writer.string(receipt.streamID.rawValue)
                writer.key("id")
                writer.integer(receipt.eventID)
                writer.key("epoch")
                writer.string(receipt.epoch.rawValue)
            case .alive(let streamID):
                writer.key("call")
                writer.string(IngestCall.update.rawValue)
                writer.key("stream_id")
                writer.string(streamID.rawValue)
            case .ignored:
                writer.key("call")
                writer.string(IngestCall.other.rawValue)
            }
        case .failure(let refusal):
            writer.integer(refusal.status)
            writer.key("error")
            writer.string(refusal.message)
        }
        writer.endObject()
        let status: HTTPResponse.Status = if case .failure(let refusal) = result { .init(code: refusal.status) } else { .ok }
        return JSONResponse.make(status, writer.bytes)
    }
}
