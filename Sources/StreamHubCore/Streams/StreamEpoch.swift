/// Names one run of a stream's state: it changes whenever the state starts afresh (first seen,
/// forgotten after the state TTL, or lost by the cluster's store), so `id`s from before can never
/// be mistaken for new ones. 1–32 characters of `[A-Za-z0-9_-]`.
public struct StreamEpoch: Hashable, Sendable, CustomStringConvertible {
    public static let maxLength = 32

    public let rawValue: String

    /// Returns `nil` unless `rawValue` is 1–32 characters of `[A-Za-z0-9_-]`.
    public init?(_ rawValue: some StringProtocol) {
        let utf8 = rawValue.utf8
        guard (1...Self.maxLength).contains(utf8.count), utf8.allSatisfy({ Self.alphabet.contains($0) }) else { return nil }
        self.rawValue = String(rawValue)
    }

    /// A new epoch: 12 random characters (72 bits).
    public static func random() -> StreamEpoch {
        var generator = SystemRandomNumberGenerator()
        let characters = (0..<12).map { _ in alphabet[Int(generator.next(upperBound: UInt(alphabet.count)))] }
        return StreamEpoch(unchecked: String(decoding: characters, as: UTF8.self))
    }

    private init(unchecked rawValue: String) {
        self.rawValue = rawValue
    }

    public var description: String { rawValue }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-".utf8)

    /// The explanation returned with `400` for an `epoch` that fails validation.
    public static let validationMessage = "epoch must be 1-32 characters of A-Z, a-z, 0-9, '_' or '-'"
}
