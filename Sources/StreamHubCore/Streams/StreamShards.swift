import NIOCore
import Synchronization

/// Every stream's state on this node, in shards by stream: order only matters per stream, so
/// publishes and joins of different streams take different locks.
///
/// Each operation on one stream holds its shard's lock for a few dictionary operations; nothing is
/// encoded and no event loop is woken under it. Operations on every stream (counts, expiry,
/// listings) take the shards one after the other, never all at once, and are kept off the publish path.
final class StreamShards: Sendable {
    private final class Shard: Sendable {
        let directory: Mutex<StreamDirectory>

        init(historySize: Int, historyTTL: Duration) {
            directory = Mutex(StreamDirectory(historySize: historySize, historyTTL: historyTTL))
        }
    }

    private let shards: [Shard]

    init(count: Int = 16, historySize: Int = 0, historyTTL: Duration = .seconds(600)) {
        shards = (0..<max(1, count)).map { _ in Shard(historySize: historySize, historyTTL: historyTTL) }
    }

    /// Runs `body` on the shard that holds `id`, under its lock.
    func withStream<Result: Sendable>(_ id: StreamID, _ body: (inout StreamDirectory) -> Result) -> Result {
        shards[index(of: id)].directory.withLock { body(&$0) }
    }

    private func index(of id: StreamID) -> Int {
        Int(UInt(bitPattern: id.hashValue) % UInt(shards.count))
    }

    /// Runs `body` on every shard in turn and collects what it returns.
    private func eachShard<Element: Sendable>(_ body: (inout StreamDirectory) -> [Element]) -> [Element] {
        var all: [Element] = []
        for shard in shards { all += shard.directory.withLock { body(&$0) } }
        return all
    }

    var activeStreams: Int {
        shards.reduce(0) { sum, shard in sum + shard.directory.withLock { $0.activeStreams } }
    }

    func takeCountChanges() -> [StreamDirectory.CountChange] {
        eachShard { $0.takeCountChanges() }
    }

    func viewerCounts() -> [(StreamID, Int)] {
        eachShard { $0.viewerCounts() }
    }

    func busiest(limit: Int, wallClock: Timestamp) -> [StreamSnapshot] {
        eachShard { $0.busiest(limit: limit, wallClock: wallClock) }
            .sorted { StreamDirectory.busier($0.viewerCount, $0.streamID, than: $1.viewerCount, $1.streamID) }
            .prefix(limit).map { $0 }
    }

    func forgetIdle(now: NIODeadline, ttl: Duration) -> Int {
        shards.reduce(0) { sum, shard in sum + shard.directory.withLock { $0.forgetIdle(now: now, ttl: ttl) } }
    }

    func markAllUnsynced() -> [StreamID] {
        eachShard { $0.markAllUnsynced() }
    }

    func takeLocalCountChanges() -> [StreamID: LocalStreamCount] {
        Dictionary(uniqueKeysWithValues: eachShard { Array($0.takeLocalCountChanges()) })
    }

    func localCounts() -> [StreamID: LocalStreamCount] {
        Dictionary(uniqueKeysWithValues: eachShard { Array($0.localCounts()) })
    }

    func setRemoteViewers(_ counts: [StreamID: Int]) {
        guard !counts.isEmpty else { return }
        let now = NIODeadline.now()
        var byShard = [[StreamID: Int]](repeating: [:], count: shards.count)
        for (id, count) in counts { byShard[index(of: id)][id] = count }
        for (shard, counts) in zip(shards, byShard) where !counts.isEmpty {
            shard.directory.withLock { $0.setRemoteViewers(counts, now: now) }
        }
    }
}
