import HTTPTypes
import NIOCore
import StreamHubCluster
import StreamHubCore

/// `POST /api/v1/streams/{stream_id}/events`: its checks and its `202` answer, shared by the router
/// and ``DirectPublishHandler`` so both answer alike.
struct PublishEndpoint: Sendable {
    let hub: Hub
    /// In cluster mode, publishes go through Redis (an async step), so only the router takes them.
    let cluster: ClusterNode?
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

    /// Publishes on this node, or through the cluster, and returns the `202` answer's body.
    func publish(_ request: PublishRequest, to streamID: StreamID) async -> [UInt8] {
        guard let cluster else { return publishLocally(request, to: streamID) }
        let (receipt, reach) = await cluster.publish(request, to: streamID)
        return Self.answer(receipt, reach: reach)
    }

    /// Publishes on this node alone (no cluster) and returns the `202` answer's body.
    func publishLocally(_ request: PublishRequest, to streamID: StreamID) -> [UInt8] {
        Self.answer(hub.publish(request, to: streamID), reach: nil)
    }

    private static func answer(_ receipt: PublishReceipt, reach: ClusterReach?) -> [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("stream_id")
        writer.string(receipt.streamID.rawValue)
        writer.key("id")
        writer.integer(receipt.eventID)
        writer.key("timestamp")
        writer.timestamp(receipt.timestamp)
        writer.key("viewers_local")
        writer.integer(receipt.viewersLocal)
        writer.key("cluster")
        writer.string(reach?.rawValue ?? "disabled")
        writer.endObject()
        return writer.bytes
    }
}
