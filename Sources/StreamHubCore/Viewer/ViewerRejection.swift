/// Why an upgrade was refused; the values are the `reason` label of `streamhub_connections_rejected_total`.
public enum ViewerRejection: String, Error, Sendable, CaseIterable, CustomStringConvertible {
    case badRequest = "bad_request"
    case limit
    case origin
    case draining
    case perIP = "per_ip"
    case rate
    case unauthorized
    case forbidden

    public var description: String {
        switch self {
        case .badRequest: StreamID.validationMessage
        case .limit: "the hub is at its connection limit; retry later"
        case .origin: "origin not allowed"
        case .draining: "the hub is shutting down; retry on another node"
        case .perIP: "too many viewer connections from this address; retry later"
        case .rate: "too many new viewers this second; retry in a second"
        case .unauthorized: "a viewer token is needed: ?token=<jwt> or Authorization: Bearer <jwt>"
        case .forbidden: "the viewer token does not cover this stream"
        }
    }
}
