#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The viewer connection limit the process can really honour.
public enum ConnectionLimit {
    /// File descriptors kept back for the listener, publishers, webhooks, Redis and logs.
    public static let reservedDescriptors = 256

    /// Raises the soft open-file limit to the hard one and returns the new soft limit.
    @discardableResult
    public static func raiseOpenFileLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(resourceLimit, &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(resourceLimit, &raised) == 0 { limit = raised }
        }
        return limit.rlim_cur >= rlim_t(Int.max) ? Int.max : Int(limit.rlim_cur)
    }

    /// `min(requested, open-file limit − reserve)`, never below 1.
    public static func effective(requested: Int?, openFileLimit: Int) -> Int {
        let byDescriptors = max(1, openFileLimit - reservedDescriptors)
        return min(requested ?? Int.max, byDescriptors)
    }

    #if os(Linux)
    private static let resourceLimit = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    private static let resourceLimit = RLIMIT_NOFILE
    #endif
}
