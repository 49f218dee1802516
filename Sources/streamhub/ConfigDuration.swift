import ArgumentParser

/// A duration flag value: a whole number with a unit, such as `500ms`, `20s`, `1m` or `1h`.
struct ConfigDuration: ExpressibleByArgument, CustomStringConvertible, Sendable {
    let duration: Duration
    private let text: String

    init?(argument: String) {
        guard let (amount, unit) = splitAmount(argument) else { return nil }
        let millisecondsPerUnit: Int64
        switch unit {
        case "ms": millisecondsPerUnit = 1
        case "s": millisecondsPerUnit = 1000
        case "m": millisecondsPerUnit = 60_000
        case "h": millisecondsPerUnit = 3_600_000
        default: return nil
        }
        let (milliseconds, overflow) = amount.multipliedReportingOverflow(by: millisecondsPerUnit)
        guard !overflow else { return nil }
        duration = .milliseconds(milliseconds)
        text = argument
    }

    var description: String { text }

    static var defaultValueDescription: String { "a duration" }
}

/// A byte-count flag value: a whole number, optionally with `KiB` or `MiB`.
struct ConfigByteCount: ExpressibleByArgument, CustomStringConvertible, Sendable {
    let bytes: Int
    private let text: String

    init?(argument: String) {
        guard let (amount, unit) = splitAmount(argument), let amount = Int(exactly: amount) else { return nil }
        let (product, overflow): (Int, Bool)
        switch unit {
        case "": (product, overflow) = (amount, false)
        case "KiB": (product, overflow) = amount.multipliedReportingOverflow(by: 1024)
        case "MiB": (product, overflow) = amount.multipliedReportingOverflow(by: 1 << 20)
        default: return nil
        }
        guard !overflow else { return nil }
        bytes = product
        text = argument
    }

    var description: String { text }
}

/// `"500ms"` → `(500, "ms")`; `nil` without leading digits or when they overflow.
private func splitAmount(_ argument: String) -> (Int64, Substring)? {
    let digits = argument.prefix { $0.isASCII && $0.isNumber }
    guard !digits.isEmpty, let amount = Int64(digits) else { return nil }
    return (amount, argument.dropFirst(digits.count))
}
