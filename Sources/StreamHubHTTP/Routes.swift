import Hummingbird
import NIOCore
import NIOPosix
import StreamHubCore

/// The REST routes: publishing, stream state and health; refused handshakes are answered by ``ViewerUpgradeChannel``.
struct Routes {
    let hub: Hub
    let metrics: HubMetrics
    let health: HealthMonitor
    let tokens: PublishTokens

    static let streamsPath = "/api/v1/streams/"

    /// The stream id in `/api/v1/streams/{stream_id}<suffix>` (query ignored), unvalidated; `nil` for any other path.
    static func streamID(in uri: String, endingWith suffix: String) -> Substring? {
        // Byte by byte: the path is ASCII, and Character comparisons cost more than the rest of a publish's routing.
        let path = uri.utf8.prefix { $0 != UInt8(ascii: "?") }
        let (prefixLength, suffixLength) = (streamsPath.utf8.count, suffix.utf8.count)
        guard path.count > prefixLength + suffixLength, path.starts(with: streamsPath.utf8), path.suffix(suffixLength).elementsEqual(suffix.utf8)
        else { return nil }
        let id = path.dropFirst(prefixLength).dropLast(suffixLength)
        return id.contains(UInt8(ascii: "/")) ? nil : percentDecoded(Substring(id))
    }

    /// `raw` with its `%XX` escapes decoded (a client may escape `:` in a path); as it is when it
    /// holds none, or an escape that is not one.
    static func percentDecoded(_ raw: Substring) -> Substring {
        guard raw.utf8.contains(UInt8(ascii: "%")) else { return raw }
        var bytes: [UInt8] = []
        var rest = raw.utf8[...]
        while let byte = rest.popFirst() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard rest.count >= 2, let value = UInt8(String(decoding: rest.prefix(2), as: UTF8.self), radix: 16) else { return raw }
            bytes.append(value)
            rest = rest.dropFirst(2)
        }
        return Substring(String(decoding: bytes, as: UTF8.self))
    }

    /// The stream id of a viewer URL, `/api/v1/streams/{stream_id}/ws` (query ignored), unvalidated.
    static func viewerStreamID(path uri: String) -> Substring? { streamID(in: uri, endingWith: "/ws") }

    /// The publish route's checks and answer, also used by ``DirectPublishHandler``.
    var publishing: PublishEndpoint { PublishEndpoint(hub: hub, tokens: tokens) }

    /// A router with the routes `addRoutes` adds, whose errors, its own included, are JSON
    /// `{"error": "..."}` answers (`405` with `Allow` for a served path and another method).
    static func makeRouter(_ addRoutes: (Router<BasicRequestContext>) -> Void) -> Router<BasicRequestContext> {
        let known = KnownRoutes()
        let router = Router()
        router.add(middleware: JSONErrorMiddleware(known: known))
        addRoutes(router)
        known.set(router.routes)
        return router
    }

    /// `/healthz` and `/readyz`, served on every port.
    func addHealth(to router: Router<BasicRequestContext>) {
        router.get("/healthz") { _, _ in JSONResponse.ok(#"{"status":"ok"}"#) }
        router.get("/readyz") { _, _ in readiness() }
    }

    /// `/metrics`, in Prometheus text format, rendered on NIO's blocking-work pool: it reads `/proc`
    /// (milliseconds with many connections open) and must not hold up an event loop's broadcasts.
    func addMetrics(to router: Router<BasicRequestContext>) {
        router.get("/metrics") { [metrics, hub] _, _ in
            let text = try await NIOThreadPool.singleton.runIfActive { metrics.render(hub: hub) }
            return Response(status: .ok, headers: [.contentType: HubMetrics.contentType], body: ResponseBody(byteBuffer: ByteBuffer(bytes: text)))
        }
    }

    /// The publisher and stream routes.
    func addStreams(to router: Router<BasicRequestContext>) {
        let streams = router.group("api/v1/streams")
        streams.get { request, _ in try listStreams(request) }
        streams.get(":stream_id") { request, context in try await state(request, context) }
        streams.post(":stream_id/events") { request, context in try await publish(request, context) }
        streams.get(":stream_id/ws") { request, context in try notAHandshake(context) }
    }

    /// `503` only while draining or at the connection limit; the failing checks are listed either way.
    private func readiness() -> Response {
        let status = hub.draining ? "draining" : hub.isReady ? "ready" : "at_connection_limit"
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("status")
        writer.string(status)
        writer.key("failing_checks")
        writer.beginArray()
        for result in health.failingChecks {
            writer.beginObject()
            writer.key("check")
            writer.string(result.check.rawValue)
            writer.key("description")
            writer.string(result.description)
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return JSONResponse.make(status == "ready" ? .ok : .serviceUnavailable, writer.bytes)
    }

    private func state(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let streamID = try streamID(context)
        try authorizeRead(request, of: streamID)
        return JSONResponse.ok(await hub.currentState(of: streamID).json)
    }

    /// With viewer authentication on, reading a stream's state needs a publish token or a viewer
    /// token (`?token=` or `Authorization: Bearer`) that covers the stream.
    private func authorizeRead(_ request: Request, of streamID: StreamID) throws {
        guard let authenticator = hub.authenticator else { return }
        let authorization = request.headers[.authorization]
        if tokens.accepts(authorization: authorization) { return }
        let token = request.uri.queryParameters.get("token").map { Substring($0) } ?? Self.bearerToken(authorization)
        if case .failure(let failure) = authenticator.authenticate(token: token, for: streamID, now: .now()) { throw APIError(failure) }
    }

    private func listStreams(_ request: Request) throws -> Response {
        try authorize(request)
        let limit =
            try request.uri.queryParameters.get("limit").map { raw in
                guard let limit = Int(raw), (1...1000).contains(limit) else {
                    throw APIError(.badRequest, "limit must be a whole number from 1 to 1000")
                }
                return limit
            } ?? 100
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("streams")
        writer.beginArray()
        for snapshot in hub.busiestStreams(limit: limit) { writer.raw(snapshot.json) }
        writer.endArray()
        writer.endObject()
        return JSONResponse.ok(writer.bytes)
    }

    private func publish(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let length = request.headers[.contentLength].flatMap { Int($0) }
        let streamID = try publishing.check(
            authorization: request.headers[.authorization], streamID: context.parameters.get("stream_id"), contentLength: length)
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: PublishRequest.maxBodyBytes)
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, "event body is over the limit of \(PublishRequest.maxBodyBytes) bytes")
        }
        let answer = try await publishing.publish(try PublishEndpoint.parse(body), to: streamID)
        return JSONResponse.make(.accepted, answer)
    }

    /// Answers a request for a viewer URL that did not ask for a WebSocket upgrade.
    private func notAHandshake(_ context: BasicRequestContext) throws -> Response {
        _ = try streamID(context)
        var response = APIError(
            .upgradeRequired,
            "this endpoint needs a WebSocket handshake: GET with Upgrade: websocket, Connection: Upgrade, Sec-WebSocket-Key and Sec-WebSocket-Version: 13"
        ).response
        response.headers[.secWebSocketVersion] = "13"
        response.headers[.upgrade] = "websocket"
        return response
    }

    private func authorize(_ request: Request) throws {
        try Self.authorize(request.headers[.authorization], tokens: tokens)
    }

    private func streamID(_ context: BasicRequestContext) throws -> StreamID {
        try Self.validStreamID(context.parameters.get("stream_id"))
    }

    /// The token of an `Authorization: Bearer <token>` header.
    static func bearerToken(_ authorization: String?) -> Substring? {
        guard let authorization, authorization.count > 7, authorization.prefix(7).lowercased() == "bearer " else { return nil }
        return authorization.dropFirst(7)
    }

    /// `401` unless `authorization` is `Bearer <one of the publish tokens>`.
    static func authorize(_ authorization: String?, tokens: PublishTokens) throws(APIError) {
        guard tokens.accepts(authorization: authorization) else { throw APIError.unauthorized }
    }

    /// The stream id `raw` names, or `400` saying what a stream id may hold.
    static func validStreamID(_ raw: (some StringProtocol)?) throws(APIError) -> StreamID {
        guard let id = raw.flatMap({ StreamID(percentDecoded(Substring($0))) }) else { throw APIError(.badRequest, StreamID.validationMessage) }
        return id
    }
}
