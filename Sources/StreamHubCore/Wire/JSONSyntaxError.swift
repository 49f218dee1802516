/// Why a body is not valid JSON, with the byte offset where reading stopped.
public struct JSONSyntaxError: Error, Equatable, CustomStringConvertible {
    public let offset: Int
    public let problem: String

    public var description: String { "invalid JSON at byte \(offset): \(problem)" }
}
