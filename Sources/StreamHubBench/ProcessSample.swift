import Foundation

/// CPU time and resident memory of a set of processes (a hub, or nginx's master and workers), from `/proc`.
struct ProcessSample: Sendable {
    /// User plus system CPU time, in seconds.
    let cpuSeconds: Double
    let residentBytes: Int

    /// Reads every PID; `nil` when one cannot be read (the process is gone).
    static func read(_ pids: [Int32]) -> ProcessSample? {
        var cpu = 0.0
        var resident = 0
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let page = sysconf(Int32(_SC_PAGESIZE))
        for pid in pids {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let statm = try? String(contentsOfFile: "/proc/\(pid)/statm", encoding: .utf8),
                let end = stat.lastIndex(of: ")")
            else { return nil }
            // After "pid (comm)", utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
            let fields = stat[stat.index(after: end)...].split(separator: " ")
            guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
            cpu += (user + system) / ticks
            let pages = statm.split(separator: " ")
            guard pages.count > 1, let residentPages = Int(pages[1]) else { return nil }
            resident += residentPages * page
        }
        return ProcessSample(cpuSeconds: cpu, residentBytes: resident)
    }
}
