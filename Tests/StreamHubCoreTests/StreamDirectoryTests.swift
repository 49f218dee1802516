import NIOCore
import Testing

@testable import StreamHubCore

@Suite struct StreamDirectoryTests {
    let now = NIODeadline.uptimeNanoseconds(5_000_000_000)
    let wall = Timestamp(millisecondsSince1970: 0)
    let id = StreamID("s")!

    private func request(_ event: PublishedEvent, _ data: String = "{}") throws -> PublishRequest {
        try PublishRequest(body: Array(#"{"event":"\#(event.rawValue)","data":\#(data)}"#.utf8)[...])
    }

    @Test func countsPeaksAndStatus() throws {
        var directory = StreamDirectory()
        _ = directory.join(id, loop: 0, now: now, wallClock: wall)
        let second = directory.join(id, loop: 0, now: now, wallClock: wall).snapshot
        #expect(second.viewerCount == 2 && second.peakViewers == 2 && second.status == .offline)
        directory.leave(id, loop: 0, now: now)
        let started = directory.publish(try request(.streamStarted), to: id, now: now)
        #expect(started.eventID == 1 && started.peakViewers == 1, "stream_started resets the peak to the current count")
        _ = directory.publish(try request(.qualityChanged, #"{"q":"4k"}"#), to: id, now: now)
        let ended = directory.publish(try request(.streamEnded), to: id, now: now)
        let state = directory.snapshot(of: id, wallClock: wall)
        #expect(ended.eventID == 3)
        #expect(state.status == .ended)
        #expect(state.quality.map { String(decoding: $0, as: UTF8.self) } == #"{"q":"4k"}"#)
    }

    @Test func countChangesAreCoalescedAndSkipUnchangedCounts() {
        var directory = StreamDirectory()
        for _ in 0..<50 { _ = directory.join(id, loop: 0, now: now, wallClock: wall) }
        #expect(directory.takeCountChanges().map(\.viewers) == [50])
        #expect(directory.takeCountChanges().isEmpty)
        _ = directory.join(id, loop: 0, now: now, wallClock: wall)
        directory.leave(id, loop: 0, now: now)
        #expect(directory.takeCountChanges().isEmpty, "back to the announced count")
    }

    @Test func idleStateIsForgottenOnlyWithoutViewersAfterTheTTL() throws {
        var directory = StreamDirectory()
        _ = directory.publish(try request(.streamStarted), to: id, now: now)
        let watched = StreamID("watched")!
        _ = directory.join(watched, loop: 0, now: now, wallClock: wall)
        #expect(directory.forgetIdle(now: now + .seconds(59), ttl: .seconds(60)) == 0)
        #expect(directory.forgetIdle(now: now + .seconds(61), ttl: .seconds(60)) == 1)
        #expect(directory.snapshot(of: id, wallClock: wall).lastEventID == 0)
        #expect(directory.snapshot(of: watched, wallClock: wall).viewerCount == 1)
    }

    @Test func viewersAreCountedPerLoopSoBroadcastsSkipLoopsWithoutViewers() throws {
        var directory = StreamDirectory()
        _ = directory.join(id, loop: 2, now: now, wallClock: wall)
        _ = directory.join(id, loop: 0, now: now, wallClock: wall)
        #expect(directory.publish(try request(.streamStarted), to: id, now: now).viewersPerLoop == [1, 0, 1])
        #expect(directory.activeStreams == 1)
        directory.leave(id, loop: 2, now: now)
        directory.leave(id, loop: 1, now: now)  // no viewer there: ignored
        #expect(directory.publish(try request(.streamEnded), to: id, now: now).viewersPerLoop == [1, 0, 0])
        directory.leave(id, loop: 0, now: now)
        #expect(directory.activeStreams == 0)
        #expect(directory.publish(try request(.streamStarted), to: id, now: now).viewersPerLoop == [0, 0, 0])
    }

    @Test func shardsListTheBusiestAcrossShards() {
        let shards = StreamShards(count: 4)
        for index in 0..<40 {
            let stream = StreamID("s\(index)")!
            for _ in 0...(index % 7) { _ = shards.withStream(stream) { $0.join(stream, loop: 0, now: now, wallClock: wall) } }
        }
        let busiest = shards.busiest(limit: 5, wallClock: wall)
        #expect(busiest.map(\.viewerCount) == [7, 7, 7, 7, 7])
        #expect(busiest.map(\.streamID.rawValue) == ["s13", "s20", "s27", "s34", "s6"], "ties by id")
        #expect(shards.activeStreams == 40)
    }

    @Test func busiestFirst() {
        var directory = StreamDirectory()
        for (name, viewers) in [("a", 1), ("b", 3), ("c", 2)] {
            for _ in 0..<viewers { _ = directory.join(StreamID(name)!, loop: 0, now: now, wallClock: wall) }
        }
        #expect(directory.busiest(limit: 2, wallClock: wall).map(\.streamID.rawValue) == ["b", "c"])
    }

    @Test func remoteViewersCountInTotalsPeaksAndAnnouncementsButNotInLocalCounts() throws {
        var directory = StreamDirectory()
        _ = directory.join(id, loop: 0, now: now, wallClock: wall)
        _ = directory.takeCountChanges()
        #expect(directory.takeLocalCountChanges() == [id: LocalStreamCount(viewers: 1, peakViewers: 1)])
        directory.setRemoteViewers([id: 4, StreamID("elsewhere")!: 2], now: now)
        #expect(directory.snapshot(of: id, wallClock: wall).viewerCount == 5)
        #expect(directory.snapshot(of: id, wallClock: wall).peakViewers == 5)
        #expect(directory.takeCountChanges() == [.init(streamID: id, viewers: 5, peakViewers: 5, lastEventID: 0, viewersPerLoop: [1])])
        #expect(directory.takeLocalCountChanges().isEmpty, "remote changes are not this node's to report")
        #expect(directory.viewerCounts().map(\.1) == [1], "only streams with viewers here, with this node's count")
        #expect(directory.snapshot(of: StreamID("elsewhere")!, wallClock: wall).viewerCount == 2)
    }

    @Test func clusterAssignedIdsAndStoredStateWinOnlyWhenNewer() throws {
        var directory = StreamDirectory()
        let epoch = StreamEpoch("cluster")!
        let assigned = EventAssignment(eventID: 7, epoch: epoch, peakViewers: 9, wallClock: wall)
        let started = directory.publish(try request(.streamStarted), to: id, now: now, assigned: assigned)
        #expect(started.eventID == 7 && started.peakViewers == 9)
        directory.merge(StoredStreamState(lastEventID: 6, status: .ended, quality: nil, peakViewers: 3), into: id, now: now)
        #expect(directory.snapshot(of: id, wallClock: wall).status == .live, "older stored state does not overwrite newer")
        #expect(!directory.isSynced(id), "a store that gives no epoch is read again")
        directory.merge(
            StoredStreamState(lastEventID: 8, status: .ended, quality: Array("{}".utf8), peakViewers: 3, epoch: epoch), into: id, now: now)
        let state = directory.snapshot(of: id, wallClock: wall)
        #expect(state.status == .ended && state.lastEventID == 8 && state.peakViewers == 9 && directory.isSynced(id))
        let unknown = StreamID("never-seen")!
        directory.merge(.unseen, into: unknown, now: now)
        #expect(directory.entries[unknown] == nil, "an unknown id costs no memory")
    }
}

extension StreamDirectory {
    /// Publishes with a frame that holds just the event's id.
    mutating func publish(_ request: PublishRequest, to id: StreamID, now: NIODeadline, assigned: EventAssignment? = nil) -> Publication {
        publish(request, to: id, now: now, assigned: assigned) { LazyFrame(encoded: ByteBuffer(string: "\($0.eventID)")) }.0
    }
}
