#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The standard `process_*` metrics, read from `/proc` at scrape time (Linux only).
struct ProcessMetrics {
    var cpuSeconds: Double
    var residentBytes: Int
    var openFDs: Int
    var maxFDs: Int
    var startTimeSeconds: Double

    /// `nil` where `/proc` is not there.
    static func read() -> ProcessMetrics? {
        #if os(Linux)
        guard let stat = readFile("/proc/self/stat"), let close = stat.lastIndex(of: ")"),
            let statm = readFile("/proc/self/statm"), let systemStat = readFile("/proc/stat")
        else { return nil }
        // Fields after the command name, which may itself contain spaces or parentheses.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        guard fields.count > 19, let user = Double(fields[11]), let system = Double(fields[12]),
            let startTicks = Double(fields[19]),
            let residentPages = statm.split(separator: " ").dropFirst().first.flatMap({ Int($0) }),
            let bootLine = systemStat.split(separator: "\n").first(where: { $0.hasPrefix("btime ") }),
            let bootTime = Double(bootLine.dropFirst(6))
        else { return nil }
        var limit = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        return ProcessMetrics(
            cpuSeconds: (user + system) / ticks,
            residentBytes: residentPages * Int(sysconf(Int32(_SC_PAGESIZE))),
            openFDs: countOpenFDs(),
            maxFDs: limit.rlim_cur >= rlim_t(Int.max) ? Int.max : Int(limit.rlim_cur),
            startTimeSeconds: bootTime + startTicks / ticks
        )
        #else
        return nil
        #endif
    }

    func write(to output: inout [UInt8]) {
        func family(_ name: String, _ type: String, _ help: String, _ value: String) {
            output.append(contentsOf: "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name) \(value)\n".utf8)
        }
        family("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", "\(cpuSeconds)")
        family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", "\(residentBytes)")
        family("process_open_fds", "gauge", "Number of open file descriptors.", "\(openFDs)")
        family("process_max_fds", "gauge", "Maximum number of open file descriptors.", "\(maxFDs)")
        family("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.", "\(startTimeSeconds)")
    }

    private static func readFile(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count <= 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func countOpenFDs() -> Int {
        guard let directory = opendir("/proc/self/fd") else { return 0 }
        defer { closedir(directory) }
        var count = 0
        while readdir(directory) != nil { count += 1 }
        return max(0, count - 3)  // ".", ".." and the directory's own descriptor
    }
}
