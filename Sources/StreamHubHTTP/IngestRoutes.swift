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
            try await receive(request, from: .nginxRTMP) { body throws(IngestRefusal) in try NginxRTMPCallback.parse(FormFields(body)) }
        }
        // `notify_method get`: the module appends `?fields` even to a URL that holds `?secret=S`.
        routes.get("nginx-rtmp") { request, _ in
            let fields = FormFields(Array((request.uri.query ?? "").utf8), questionMarkSeparates: true)
            return Self.answer(
                await ingest.receive(from: .nginxRTMP, secret: fields["secret"]) { () throws(IngestRefusal) in try NginxRTMPCallback.parse(fields) }
            )
        }
        routes.post("srs") { request, _ in
            try await receive(request, from: .srs) { body throws(IngestRefusal) in try SRSCallback.parse(body[...]) }
        }
    }

    /// A POST callback: the secret from the URL's query, the body read whole (`413` over the publish limit).
    private func receive(
        _ request: Request, from server: IngestServer, parse: @escaping ([UInt8]) throws(IngestRefusal) -> IngestCallback
    ) async throws -> Response {
        let secret = FormFields(Array((request.uri.query ?? "").utf8))["secret"]
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: PublishRequest.maxBodyBytes)
        } catch is NIOTooManyBytesError {
            let limit = PublishRequest.maxBodyBytes
            return Self.answer(.failure(IngestRefusal(status: 413, message: "callback body is over the limit of \(limit) bytes")))
        }
        return Self.answer(
            await ingest.receive(from: server, secret: secret) { () throws(IngestRefusal) in try parse(Array(body.readableBytesView)) })
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
                receipt.writeIdentity(to: &writer)
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
