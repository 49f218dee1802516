/// Why the hub closed an HTTP connection that is not a viewer; the values are the `reason` label of
/// `streamhub_http_closed_total`.
public enum HTTPCloseReason: String, Sendable, CaseIterable {
    /// A request did not arrive in full within `--request-timeout`.
    case requestTimeout = "request_timeout"
    /// A keep-alive connection sent nothing for `--idle-timeout` after an answer.
    case idleTimeout = "idle_timeout"
    /// A request head over 16 KiB, answered `431`.
    case headTooLarge = "head_too_large"
}
