/// Comparisons of secrets that take the same time whichever byte differs.
public enum ConstantTime {
    /// Whether `a` and `b` hold the same bytes, looking at every byte of the longer one.
    public static func equals(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        var difference = UInt(a.count ^ b.count)
        var left = a.makeIterator()
        var right = b.makeIterator()
        for _ in 0..<max(a.count, b.count) {
            difference |= UInt((left.next() ?? 0) ^ (right.next() ?? 0))
        }
        return difference == 0
    }
}
