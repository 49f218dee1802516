#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Wall-clock time in milliseconds since the Unix epoch, rendered as RFC 3339 UTC with milliseconds.
public struct Timestamp: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let millisecondsSince1970: Int64

    public init(millisecondsSince1970: Int64) {
        self.millisecondsSince1970 = millisecondsSince1970
    }

    /// The current wall-clock time.
    public static func now() -> Timestamp {
        Timestamp(nanosecondsSince1970: nanosecondsSince1970())
    }

    /// Truncates to the millisecond.
    public init(nanosecondsSince1970: Int64) {
        self.init(millisecondsSince1970: nanosecondsSince1970 / 1_000_000)
    }

    /// The current wall-clock time in nanoseconds since the Unix epoch.
    public static func nanosecondsSince1970() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.millisecondsSince1970 < rhs.millisecondsSince1970
    }

    /// `2026-11-25T16:44:23.123Z`.
    public var description: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        append(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the RFC 3339 form (24 ASCII bytes) without allocating a `String`.
    public func append(to bytes: inout some RangeReplaceableCollection<UInt8>) {
        let ms = millisecondsSince1970
        let days = ms >= 0 ? ms / 86_400_000 : (ms - 86_399_999) / 86_400_000
        let msOfDay = ms - days * 86_400_000
        let (year, month, day) = Self.civilDate(daysSince1970: days)
        func digits(_ value: Int64, _ count: Int) {
            var divisor: Int64 = 1
            for _ in 1..<count { divisor *= 10 }
            var value = value
            while divisor > 0 {
                bytes.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
                value %= divisor
                divisor /= 10
            }
        }
        digits(year, 4)
        bytes.append(UInt8(ascii: "-"))
        digits(month, 2)
        bytes.append(UInt8(ascii: "-"))
        digits(day, 2)
        bytes.append(UInt8(ascii: "T"))
        digits(msOfDay / 3_600_000, 2)
        bytes.append(UInt8(ascii: ":"))
        digits(msOfDay / 60_000 % 60, 2)
        bytes.append(UInt8(ascii: ":"))
        digits(msOfDay / 1000 % 60, 2)
        bytes.append(UInt8(ascii: "."))
        digits(msOfDay % 1000, 3)
        bytes.append(UInt8(ascii: "Z"))
    }

    /// Howard Hinnant's `civil_from_days`.
    private static func civilDate(daysSince1970: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = daysSince1970 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
