/// The outcome of one check: healthy or not, and a sentence with the measured value and the threshold.
public struct CheckResult: Sendable, Equatable {
    public let check: HealthCheck
    public let healthy: Bool
    public let description: String

    public init(check: HealthCheck, healthy: Bool, description: String) {
        self.check = check
        self.healthy = healthy
        self.description = description
    }
}
