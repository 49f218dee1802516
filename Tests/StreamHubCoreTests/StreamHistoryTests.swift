import NIOCore
import Testing

@testable import StreamHubCore

@Suite struct StreamHistoryTests {
    let now = NIODeadline.uptimeNanoseconds(5_000_000_000)

    private func event(_ id: UInt64) -> StreamHistory.Event {
        StreamHistory.Event(eventID: id, frame: LazyFrame(encoded: ByteBuffer(string: "\(id)")))
    }

    private func ids(_ frames: [LazyFrame]?) -> [UInt64]? {
        frames?.map { UInt64(String(buffer: $0.frame))! }
    }

    private func history(_ range: ClosedRange<UInt64>, capacity: Int = 100) -> StreamHistory {
        var history = StreamHistory()
        for id in range { history.append(event(id), capacity: capacity, now: now) }
        return history
    }

    @Test func aResumeGetsEveryEventAfterSinceOrNothingWhenTheWindowDoesNotReachBack() {
        let held = history(1...10, capacity: 5)
        #expect(held.events.map(\.eventID) == [6, 7, 8, 9, 10], "the oldest are dropped beyond the capacity")
        #expect(ids(held.events(after: 7, through: 10)) == [8, 9, 10])
        #expect(ids(held.events(after: 5, through: 10)) == [6, 7, 8, 9, 10], "since just before the oldest held")
        #expect(held.events(after: 4, through: 10) == nil, "event 5 is no longer held: all or nothing")
        #expect(ids(held.events(after: 10, through: 10)) == [], "since is the latest id")
        #expect(held.events(after: 11, through: 10) == nil, "since ahead of the stream")
        #expect(ids(held.events(after: 7, through: 9)) == [8, 9], "events after the viewer's stream_state come live")
        #expect(ids(StreamHistory().events(after: 0, through: 0)) == [], "a stream without events")
        #expect(StreamHistory().events(after: 0, through: 3) == nil, "history off")
    }

    @Test func theWindowExpiresItsTTLAfterTheLatestEvent() {
        var held = history(1...3)
        held.expire(now: now + .seconds(60), ttl: .seconds(60))
        #expect(held.events.count == 3)
        held.expire(now: now + .seconds(61), ttl: .seconds(60))
        #expect(held.events.isEmpty)
    }

    @Test func eventsReadFromTheStoreArePutAheadOnlyWhenTheyJoinUp() {
        var held = history(8...10)
        held.prepend((3...8).map(event), latest: 10, capacity: 100, now: now)
        #expect(held.events.map(\.eventID) == Array(3...10))

        var gap = history(8...10)
        gap.prepend((3...6).map(event), latest: 10, capacity: 100, now: now)
        #expect(gap.events.map(\.eventID) == [8, 9, 10], "event 7 is in neither")

        var empty = StreamHistory()
        empty.prepend((3...12).map(event), latest: 10, capacity: 4, now: now)
        #expect(empty.events.map(\.eventID) == [7, 8, 9, 10], "later events are still on their way; the capacity holds")
        var short = StreamHistory()
        short.prepend((3...9).map(event), latest: 10, capacity: 100, now: now)
        #expect(short.events.isEmpty, "event 10 is missing")
    }
}

@Suite struct StreamDirectoryResumeTests {
    let now = NIODeadline.uptimeNanoseconds(5_000_000_000)
    let wall = Timestamp(millisecondsSince1970: 0)
    let id = StreamID("s")!

    private func publish(_ directory: inout StreamDirectory, count: Int) throws {
        let request = try PublishRequest(body: Array(#"{"event":"quality_changed","data":{}}"#.utf8)[...])
        for _ in 0..<count { _ = directory.publish(request, to: id, now: now) }
    }

    @Test func aJoinResumingInTheStreamsEpochGetsWhatItMissedUnderTheSameLockAsPublishes() throws {
        var directory = StreamDirectory(historySize: 100)
        let epoch = directory.join(id, loop: 0, now: now, wallClock: wall).snapshot.epoch
        try publish(&directory, count: 5)
        let resumed = directory.join(id, loop: 0, resume: ResumePoint(since: 2, epoch: epoch), now: now, wallClock: wall)
        #expect(resumed.snapshot.lastEventID == 5 && resumed.snapshot.epoch == epoch)
        #expect(resumed.replay?.map { String(buffer: $0.frame) } == ["3", "4", "5"])
        #expect(directory.join(id, loop: 0, resume: ResumePoint(since: 2, epoch: StreamEpoch("other")), now: now, wallClock: wall).replay == nil)
        #expect(directory.join(id, loop: 0, resume: ResumePoint(since: 2, epoch: nil), now: now, wallClock: wall).replay == nil)
        #expect(directory.join(id, loop: 0, now: now, wallClock: wall).replay == nil, "not a resume")
    }

    @Test func aStreamForgottenAndSeenAgainStartsANewEpoch() throws {
        var directory = StreamDirectory(historySize: 100)
        try publish(&directory, count: 1)
        let before = directory.snapshot(of: id, wallClock: wall).epoch
        #expect(directory.forgetIdle(now: now + .seconds(3601), ttl: .seconds(3600)) == 1)
        try publish(&directory, count: 1)
        #expect(directory.snapshot(of: id, wallClock: wall).epoch != before)
    }

    @Test func anotherEpochFromTheStoreVoidsTheHistoryHeld() throws {
        var directory = StreamDirectory(historySize: 100)
        try publish(&directory, count: 3)
        let stored = StreamEpoch("stored")!
        directory.merge(StoredStreamState(lastEventID: 0, status: .offline, quality: nil, peakViewers: 0, epoch: stored), into: id, now: now)
        let state = directory.snapshot(of: id, wallClock: wall)
        #expect(state.epoch == stored && state.lastEventID == 3, "ids never go back")
        #expect(!directory.canResume(id, from: ResumePoint(since: 2, epoch: stored), now: now))
        #expect(directory.canResume(id, from: ResumePoint(since: 3, epoch: stored), now: now))
    }
}
