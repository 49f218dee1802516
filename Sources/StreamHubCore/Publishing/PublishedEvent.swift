/// An event a publisher may send; the hub itself sends `stream_state` and `viewer_count_changed`.
public enum PublishedEvent: String, Sendable, CaseIterable {
    case streamStarted = "stream_started"
    case streamEnded = "stream_ended"
    case qualityChanged = "quality_changed"

    /// Event names only the hub sends; publishing them is answered `422`.
    public static let serverOnlyNames: Set<String> = ["viewer_count_changed", "stream_state"]
}
