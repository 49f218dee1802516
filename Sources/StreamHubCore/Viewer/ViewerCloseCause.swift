/// Why a viewer connection ended; the values are the `reason` label of `streamhub_connections_closed_total`.
public enum ViewerCloseCause: String, Sendable, CaseIterable {
    case client
    case reaped
    case slowConsumer = "slow_consumer"
    case `protocol`
    case shutdown
    case error
    /// The viewer's token expired (closed with `4001`).
    case tokenExpired = "token_expired"
}
