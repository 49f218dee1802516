import HTTPTypes
import NIOCore
import StreamHubCore

/// `POST /api/v1/streams/{stream_id}/events`: its checks and its `202` answer, shared by the router
/// and ``DirectPublishHandler`` so both answer alike.
struct PublishEndpoint: Sendable {
    let hub: Hub
    let tokens: PublishTokens

    /// The stream id of a publish URL, `/api/v1/streams/{stream_id}/events` (query ignored), unvalidated.
    static func streamID(path uri: String) -> Substring? { Routes.streamID(in: uri, endingWith: "/events") }

    /// Checks what the request head says, in the order a publisher fixes them: token, stream id, declared length.
    func check(authorization: String?, streamID rawID: (some StringProtocol)?, contentLength: Int?) throws(APIError) -> StreamID {
        try Routes.authorize(authorization, tokens: tokens)
        let streamID = try Routes.validStreamID(rawID)
        if let contentLength, contentLength > PublishRequest.maxBodyBytes {
            throw APIError(PublishError.payloadTooLarge(bytes: contentLength, limit: PublishRequest.maxBodyBytes))
        }
        return streamID
    }

    /// The event a whole request body asks for.
    static func parse(_ body: ByteBuffer) throws(APIError) -> PublishRequest {
        do {
            return try PublishRequest(body: Array(body.readableBytesView)[...])
        } catch {
            throw APIError(error)
        }
    }

    /// Publishes and gives the `202` answer's body once the hub accepted the event (at once on one node).
    func publish(_ request: PublishRequest, to streamID: StreamID, on loop: any EventLoop) -> EventLoopFuture<[UInt8]> {
        hub.publish(request, to: streamID, on: loop).map(Self.answer)
    }

    /// The `202` answer's body of a publish a single node accepts at once; only for a single node.
    func publishHere(_ request: PublishRequest, to streamID: StreamID) -> [UInt8] {
        guard case .accepted(let receipt) = hub.submit(request, to: streamID) else {
            preconditionFailure("a single node numbers every event itself")
        }
        return Self.answer(receipt)
    }

    /// ``publish(_:to:on:)`` from a task.
    func publish(_ request: PublishRequest, to streamID: StreamID) async throws -> [UInt8] {
        Self.answer(try await hub.publish(request, to: streamID))
    }

    private static func answer(_ receipt: PublishReceipt) -> [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        receipt.writeIdentity(to: &writer)
        writer.key("timestamp")
        writer.timestamp(receipt.timestamp)
        writer.key("viewers_local")
        writer.integer(receipt.viewersLocal)
        writer.key("cluster")
        writer.string(receipt.reach.rawValue)
        writer.endObject()
        return writer.bytes
    }
}

extension PublishReceipt {
    /// Writes which event the receipt is for: `stream_id`, `id` and `epoch`.
    func writeIdentity(to writer: inout JSONWriter) {
        writer.key("stream_id")
        writer.string(streamID.rawValue)
        writer.key("id")
        writer.integer(eventID)
        writer.key("epoch")
        writer.string(epoch.rawValue)
    }
}
