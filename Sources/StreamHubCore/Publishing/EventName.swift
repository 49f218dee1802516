/// Names of every event a viewer can receive, for metrics labels and documentation.
public enum EventName {
    public static let streamState = "stream_state"
    public static let viewerCountChanged = "viewer_count_changed"
    public static let all = [streamState, viewerCountChanged] + PublishedEvent.allCases.map(\.rawValue)
}
