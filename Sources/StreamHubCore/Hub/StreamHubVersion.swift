/// The release this build reports in `--version` and `streamhub_build_info`.
public enum StreamHubVersion {
    public static let current = "0.1.0"
}
