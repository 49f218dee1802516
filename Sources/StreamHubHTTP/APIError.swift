import HTTPTypes
import Hummingbird
import NIOCore
import StreamHubCore

/// An error answer: an HTTP status and `{"error": "..."}` saying what was wrong.
struct APIError: Error, HTTPResponseError {
    let status: HTTPResponse.Status
    let message: String
    var headers: HTTPFields = [:]

    init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
    }

    init(_ error: PublishError) {
        switch error {
        case .payloadTooLarge: self.init(.contentTooLarge, error.description)
        case .malformedJSON: self.init(.badRequest, error.description)
        default: self.init(.unprocessableContent, error.description)
        }
    }

    init(_ rejection: ViewerRejection) {
        switch rejection {
        case .badRequest: self.init(.badRequest, rejection.description)
        case .origin: self.init(.forbidden, rejection.description)
        case .limit, .draining, .perIP:
            self.init(.serviceUnavailable, rejection.description)
            headers[.retryAfter] = "5"
        case .rate:
            self.init(.serviceUnavailable, rejection.description)
            headers[.retryAfter] = "1"
        case .unauthorized: self.init(.unauthorized, rejection.description)
        case .forbidden: self.init(.forbidden, rejection.description)
        }
    }

    /// A refused viewer token: `401` (with `WWW-Authenticate: Bearer`) or `403`, naming the failed check.
    init(_ failure: ViewerAuthFailure) {
        self.init(failure.kind == .forbidden ? .forbidden : .unauthorized, failure.message)
    }

    static let badHandshake = APIError(
        .badRequest,
        "invalid WebSocket handshake: send Sec-WebSocket-Key and Sec-WebSocket-Version: 13"
    )
    static let unauthorized = APIError(.unauthorized, "missing or wrong publish token: send Authorization: Bearer <token>")
    static let noWebSocketHere = APIError(.notFound, "no WebSocket endpoint here; viewers connect to GET /api/v1/streams/{stream_id}/ws")

    var body: ByteBuffer { ByteBuffer(bytes: JSONWriter.error(message)) }

    var response: Response {
        var response = JSONResponse.make(status, JSONWriter.error(message))
        response.headers.append(contentsOf: headers)
        return response
    }

    func response(from request: Request, context: some RequestContext) throws -> Response { response }
}

/// JSON response helpers.
enum JSONResponse {
    static func make(_ status: HTTPResponse.Status, _ body: some Collection<UInt8>) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body))
        )
    }

    static func make(_ status: HTTPResponse.Status, _ body: String) -> Response { make(status, Array(body.utf8)) }

    static func ok(_ body: some Collection<UInt8>) -> Response { make(.ok, body) }

    static func ok(_ body: String) -> Response { make(.ok, body) }
}
