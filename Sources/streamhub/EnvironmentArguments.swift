import Foundation

/// Turns `STREAMHUB_*` environment variables into command-line arguments.
///
/// Every option `--some-flag` may also come from `STREAMHUB_SOME_FLAG`; the command line wins.
/// A repeatable option takes a comma-separated value.
enum EnvironmentArguments {
    /// `STREAMHUB_PING_INTERVAL` for `ping-interval`.
    static func variable(for option: String) -> String {
        "STREAMHUB_" + option.uppercased().replacingOccurrences(of: "-", with: "_")
    }

    /// `arguments` followed by the options set only in `environment`.
    static func merge(
        _ arguments: [String],
        environment: [String: String],
        options: [String],
        repeatable: Set<String>,
        flags: Set<String> = []
    ) -> [String] {
        var merged = arguments
        for option in options where !arguments.contains(where: { $0 == "--\(option)" || $0.hasPrefix("--\(option)=") }) {
            guard let value = environment[variable(for: option)] else { continue }
            if flags.contains(option) {
                if ["1", "true", "yes"].contains(value.lowercased()) { merged.append("--\(option)") }
            } else if repeatable.contains(option) {
                for item in value.split(separator: ",") {
                    merged.append("--\(option)=\(item.trimmingCharacters(in: .whitespaces))")
                }
            } else {
                merged.append("--\(option)=\(value)")
            }
        }
        return merged
    }
}
