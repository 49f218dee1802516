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

    /// The `k` entries with most viewers, busiest first (ties by id); O(n log k), comparing counts only.
    ///
    /// Among streams tied at the cut-off, the ones kept are the first met, which is stable between
    /// scrapes while the set of streams does not change.
    static func largest(_ k: Int, of counts: [(StreamID, Int)]) -> [(StreamID, Int)] {
        guard k > 0 else { return [] }
        var heap = MinHeap<(StreamID, Int)>(capacity: k) { $0.1 < $1.1 }
        for entry in counts {
            if heap.count < k {
                heap.push(entry)
            } else if let smallest = heap.top, entry.1 > smallest.1 {
                heap.replaceTop(with: entry)
            }
        }
        return heap.elements.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0.rawValue < $1.0.rawValue }
    }
}

/// A binary min-heap of fixed capacity.
private struct MinHeap<Element> {
    private(set) var elements: [Element] = []
    private let less: (Element, Element) -> Bool

    init(capacity: Int, less: @escaping (Element, Element) -> Bool) {
        elements.reserveCapacity(capacity)
        self.less = less
    }

    var count: Int { elements.count }
    var top: Element? { elements.first }

    mutating func push(_ element: Element) {
        elements.append(element)
        var child = elements.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard less(elements[child], elements[parent]) else { break }
            elements.swapAt(child, parent)
            child = parent
        }
    }

    mutating func replaceTop(with element: Element) {
        elements[0] = element
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < elements.count, less(elements[left], elements[smallest]) { smallest = left }
            if right < elements.count, less(elements[right], elements[smallest]) { smallest = right }
            guard smallest != parent else { return }
            elements.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
