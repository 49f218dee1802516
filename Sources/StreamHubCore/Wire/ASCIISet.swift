/// A set of ASCII bytes as a 128-bit mask: a membership test is a shift and an `and`, not a scan.
struct ASCIISet: Sendable {
    private var low: UInt64 = 0
    private var high: UInt64 = 0

    /// The bytes of `members` (ASCII only), plus letters and digits when `alphanumerics`.
    init(_ members: StaticString, alphanumerics: Bool = false) {
        for byte in UnsafeBufferPointer(start: members.utf8Start, count: members.utf8CodeUnitCount) { insert(byte) }
        guard alphanumerics else { return }
        for byte in UInt8(ascii: "0")...UInt8(ascii: "9") { insert(byte) }
        for byte in UInt8(ascii: "a")...UInt8(ascii: "z") { insert(byte) }
        for byte in UInt8(ascii: "A")...UInt8(ascii: "Z") { insert(byte) }
    }

    func contains(_ byte: UInt8) -> Bool {
        byte < 64 ? low & (1 << byte) != 0 : byte < 128 && high & (1 << (byte - 64)) != 0
    }

    private mutating func insert(_ byte: UInt8) {
        precondition(byte < 128, "ASCII only")
        if byte < 64 { low |= 1 << byte } else { high |= 1 << (byte - 64) }
    }
}
