/// `streamhub_stream_viewers`: the top streams by viewers by name, the rest summed as `stream_id="(other)"`.
///
/// Built at scrape time from a copy of the counts, so streams that emptied leave no series behind and
/// 100,000 streams still mean `topStreams + 1` series.
struct StreamViewersFamily {
    static let name = "streamhub_stream_viewers"
    let topStreams: Int

    func write(_ counts: [(StreamID, Int)], to output: inout [UInt8]) {
        let top = Self.largest(topStreams, of: counts)
        let named = top.reduce(0) { $0 + $1.1 }
        let total = counts.reduce(0) { $0 + $1.1 }
        output.append(contentsOf: "# HELP \(Self.name) Viewers on this node of its top streams; the rest as (other).\n".utf8)
        output.append(contentsOf: "# TYPE \(Self.name) gauge\n".utf8)
        for (id, viewers) in top {
            output.append(contentsOf: "\(Self.name){stream_id=\"\(id.rawValue)\"} \(viewers)\n".utf8)
        }
        output.append(contentsOf: "\(Self.name){stream_id=\"(other)\"} \(total - named)\n".utf8)
    }

    /// The `k` entries with most viewers, busiest first, ties by id; O(n log k).
    static func largest(_ k: Int, of counts: [(StreamID, Int)]) -> [(StreamID, Int)] {
        guard k > 0 else { return [] }
        func before(_ a: (StreamID, Int), _ b: (StreamID, Int)) -> Bool {
            a.1 != b.1 ? a.1 > b.1 : a.0.rawValue < b.0.rawValue
        }
        guard counts.count > k else { return counts.sorted(by: before) }
        // `kept` stays sorted busiest first; a candidate enters only if it beats the last one.
        var kept: [(StreamID, Int)] = []
        kept.reserveCapacity(k + 1)
        for entry in counts where kept.count < k || before(entry, kept[kept.count - 1]) {
            let index = kept.partitioningIndex { !before($0, entry) }
            kept.insert(entry, at: index)
            if kept.count > k { kept.removeLast() }
        }
        return kept
    }
}

extension Array {
    /// The first index whose element satisfies `belongsInSecondPartition`, for an array partitioned by it.
    fileprivate func partitioningIndex(where belongsInSecondPartition: (Element) -> Bool) -> Int {
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            if belongsInSecondPartition(self[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
