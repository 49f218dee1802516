import Foundation
import NIOCore

/// How many cores this process may run on: the CPU affinity (`taskset`, cpusets) and NIO's own count
/// (which reads cgroup quotas), whichever is smaller.
///
/// NIO sizes its default event loop group from the machine or cgroup alone, so a hub started with
/// `taskset -c 0` would run two loops on one core and switch between them.
enum SchedulerCores {
    static var count: Int {
        max(1, min(System.coreCount, allowedCPUs ?? .max))
    }

    /// The CPUs in `Cpus_allowed_list` of `/proc/self/status` (`0-3,8`), or `nil` where there is none.
    static var allowedCPUs: Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") })
        else { return nil }
        return count(list: line.dropFirst("Cpus_allowed_list:".count).trimmingCharacters(in: .whitespaces))
    }

    /// The number of CPUs in a list such as `0-3,8`.
    static func count(list: String) -> Int? {
        var total = 0
        for range in list.split(separator: ",") {
            let bounds = range.split(separator: "-").compactMap { Int($0) }
            switch bounds.count {
            case 1: total += 1
            case 2 where bounds[1] >= bounds[0]: total += bounds[1] - bounds[0] + 1
            default: return nil
            }
        }
        return total > 0 ? total : nil
    }
}
