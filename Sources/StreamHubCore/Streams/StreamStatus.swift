/// Where a stream is in its life; a stream the hub has not seen is `offline`.
public enum StreamStatus: String, Sendable {
    case offline
    case live
    case ended
}
