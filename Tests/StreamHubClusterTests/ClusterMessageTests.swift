import NIOCore
import StreamHubCore
import StreamHubRedis
import Testing

@testable import StreamHubCluster

@Suite struct ClusterMessageTests {
    let sender = ClusterSender(node: "hub-1:8080", instance: 42)
    let stream = StreamID("match-7")!

    let acceptedAt = Timestamp.nanosecondsSince1970() - 5_000_000

    /// What the publish script sends: the template with the id, peak and epoch spliced in.
    private func envelope(_ request: PublishRequest, id: String = "12", peak: String = "30", epoch: String = "E1") -> [UInt8] {
        let prefix = EventEnvelope.prefix(sender: sender, streamID: stream, request: request, acceptedAtNanos: acceptedAt)
        return prefix + Array("\(id),\"peak_viewers\":\(peak),\"epoch\":\"\(epoch)\"}".utf8)
    }

    @Test func anEnvelopeCarriesTheEventWithItsIdPeakAndPublisherFieldsUnchanged() throws {
        let request = try PublishRequest(body: Array(#"{"event":"quality_changed","data":{"quality":"1080p","bitrate_kbps":6000.50}}"#.utf8)[...])
        let decoded = try EventEnvelope(decoding: envelope(request))
        #expect(decoded.sender == sender)
        #expect(decoded.streamID == stream)
        #expect(decoded.request.event == .qualityChanged)
        #expect(decoded.request.dataObject == Array(#"{"quality":"1080p","bitrate_kbps":6000.50}"#.utf8))
        #expect(decoded.eventID == 12 && decoded.peakViewers == 30 && decoded.epoch == StreamEpoch("E1"))
        #expect(decoded.acceptedAtNanos == acceptedAt)
    }

    /// Values a node of another version, or anyone with access to Redis, could put there.
    @Test(arguments: [
        ("9007199254740992", "30", "id"), ("12", "10000001", "peak_viewers"), ("12", "-1", "peak_viewers"),
        ("9223372036854775807", "30", "id"),
    ])
    func anEnvelopeWithAValueOutOfRangeIsRefused(id: String, peak: String, field: String) throws {
        let request = try PublishRequest(body: Array(#"{"event":"stream_started"}"#.utf8)[...])
        #expect(throws: ClusterMessageError.outOfRange(field)) { try EventEnvelope(decoding: envelope(request, id: id, peak: peak)) }
    }

    @Test(arguments: [Int64.min, 0, Int64.max])
    func anEnvelopeAcceptedMoreThanADayFromThisClockIsRefused(acceptedAt: Int64) throws {
        let request = try PublishRequest(body: Array(#"{"event":"stream_started"}"#.utf8)[...])
        let payload =
            EventEnvelope.prefix(sender: sender, streamID: stream, request: request, acceptedAtNanos: acceptedAt)
            + Array(#"1,"peak_viewers":0,"epoch":"E1"}"#.utf8)
        #expect(throws: ClusterMessageError.outOfRange("accepted_at_ns")) { try EventEnvelope(decoding: payload) }
    }

    @Test(arguments: ["", "a\\\"b", String(repeating: "x", count: 33)])
    func anEnvelopeWithAnEpochOutsideItsAlphabetIsRefused(epoch: String) throws {
        let request = try PublishRequest(body: Array(#"{"event":"stream_started"}"#.utf8)[...])
        #expect(throws: ClusterMessageError.self) { try EventEnvelope(decoding: envelope(request, epoch: epoch)) }
    }

    @Test(arguments: [
        ("not json", "not JSON"),
        ("[1,2]", "not a JSON object"),
        (#"{"node":"a","instance":1,"stream_id":"s","event":"stream_started","accepted_at_ns":1,"data":{},"id":1}"#, "peak_viewers"),
        (
            #"{"node":"a","instance":1,"stream_id":"bad id","event":"stream_started","accepted_at_ns":1,"data":{},"id":1,"peak_viewers":0}"#,
            "stream_id"
        ),
        (#"{"node":"a","instance":1,"stream_id":"s","event":"stream_state","accepted_at_ns":1,"data":{},"id":1,"peak_viewers":0}"#, "event"),
        (#"{"node":"a","instance":1,"stream_id":"s","event":"stream_started","accepted_at_ns":1,"data":[],"id":1,"peak_viewers":0}"#, "data"),
        (#"{"node":"a","instance":1,"stream_id":"s","event":"stream_started","accepted_at_ns":1,"data":{},"id":0,"peak_viewers":0}"#, "id"),
        (#"{"node":"a","instance":1,"stream_id":"s","event":"stream_started","accepted_at_ns":1,"data":{},"id":"1","peak_viewers":0}"#, "id"),
    ])
    func malformedEnvelopesAreRefusedSayingWhy(payload: String, problem: String) {
        #expect {
            try EventEnvelope(decoding: Array(payload.utf8))
        } throws: { error in
            "\(error)".contains(problem)
        }
    }

    @Test func aCountReportRoundTripsAndRefusesCountsOutOfRange() throws {
        let report = CountReport(sender: sender, full: false, counts: [stream: 3, StreamID("other")!: 0])
        #expect(try CountReport(decoding: report.encoded()) == report)
        let leaving = CountReport(sender: sender, full: true, counts: [:], leaving: true)
        #expect(try CountReport(decoding: leaving.encoded()) == leaving)
        let negative = #"{"node":"a","instance":1,"full":true,"counts":{"s":-1}}"#
        #expect(throws: ClusterMessageError.outOfRange("counts")) { try CountReport(decoding: Array(negative.utf8)) }
        let huge = #"{"node":"a","instance":1,"full":true,"counts":{"victim":9223372036854775807}}"#
        #expect(throws: ClusterMessageError.outOfRange("counts")) { try CountReport(decoding: Array(huge.utf8)) }
    }

    @Test func storedStateIsReadFromHGETALLAndAnEmptyHashIsAnUnseenStream() throws {
        let reply = RESPValue.array(
            ["id", "7", "status", "live", "quality", #"{"q":"4k"}"#, "peak", "12"].map { .bulkString(Array($0.utf8)) }
        )
        let stored = try ClusterStore.storedState(from: reply, of: stream, for: .lookup)
        #expect(stored == StoredStreamState(lastEventID: 7, status: .live, quality: Array(#"{"q":"4k"}"#.utf8), peakViewers: 12))
        #expect(try ClusterStore.storedState(from: .array([]), of: stream, for: .lookup) == .unseen)
        #expect(throws: RedisError.self) { try ClusterStore.storedState(from: .integer(1), of: stream, for: .lookup) }
        for (field, value) in [("id", "9007199254740992"), ("id", "-1"), ("peak", "99999999999")] {
            let hostile = RESPValue.array([field, value].map { .bulkString(Array($0.utf8)) })
            #expect(throws: RedisError.self) { try ClusterStore.storedState(from: hostile, of: stream, for: .lookup) }
        }
    }

    /// The join script's reply: the hash and the history list, oldest first.
    private func joinReply(epoch: String, history: [[UInt8]]) -> RESPValue {
        let hash = ["id", "13", "status", "live", "peak", "3", "epoch", epoch].map { RESPValue.bulkString(Array($0.utf8)) }
        return .array([.array(hash), .array(history.map { .bulkString($0) })])
    }

    @Test func aResumeReadsTheHistoryOfTheStreamsEpochAndAnyEntryOutOfPlaceVoidsOnlyTheHistory() throws {
        let request = try PublishRequest(body: Array(#"{"event":"quality_changed","data":{"q":"720p"}}"#.utf8)[...])
        let stored = try ClusterStore.storedState(
            from: joinReply(epoch: "E1", history: [envelope(request, id: "12"), envelope(request, id: "13")]), of: stream, for: .resume)
        #expect(stored.epoch == StreamEpoch("E1") && stored.lastEventID == 13)
        #expect(stored.history.map(\.assignment.eventID) == [12, 13])
        #expect(stored.history[0].request == request && stored.history[0].assignment.wallClock == Timestamp(nanosecondsSince1970: acceptedAt))
        for hostile in [
            [envelope(request, id: "13"), envelope(request, id: "12")],  // out of order
            [envelope(request, id: "12", epoch: "E0"), envelope(request, id: "13")],  // another epoch
            [Array("not json".utf8), envelope(request, id: "13")],
        ] {
            let read = try ClusterStore.storedState(from: joinReply(epoch: "E1", history: hostile), of: stream, for: .resume)
            #expect(read.history.isEmpty && read.lastEventID == 13 && read.epoch == StreamEpoch("E1"))
        }
        #expect(throws: RedisError.self) { try ClusterStore.storedState(from: .array([]), of: stream, for: .join) }
    }
}

@Suite struct ClusterCountsTests {
    let a = StreamID("a")!
    let b = StreamID("b")!
    let start = NIODeadline.uptimeNanoseconds(1_000_000_000_000)

    private func report(_ node: String, full: Bool, _ counts: [StreamID: Int]) -> CountReport {
        CountReport(sender: ClusterSender(node: node, instance: 1), full: full, counts: counts)
    }

    @Test func totalsSumTheNodesAndAFullReportReplacesANodesCounts() {
        var counts = ClusterCounts()
        _ = counts.apply(report("n1", full: true, [a: 3, b: 1]), at: start)
        _ = counts.apply(report("n2", full: true, [a: 4]), at: start)
        #expect(counts.remoteViewers(of: [a, b]) == [a: 7, b: 1])
        let touched = counts.apply(report("n1", full: true, [a: 2]), at: start)
        #expect(touched == [a, b], "b left out of a full report means n1 has none")
        #expect(counts.remoteViewers(of: [a, b]) == [a: 6, b: 0])
        _ = counts.apply(report("n2", full: false, [a: 0]), at: start)
        #expect(counts.remoteViewers(of: [a]) == [a: 2])
        #expect(counts.liveNodes == 2)
        var leaving = report("n1", full: true, [:])
        leaving.leaving = true
        #expect(counts.apply(leaving, at: start) == [a])
        #expect(counts.remoteViewers(of: [a]) == [a: 0] && counts.liveNodes == 1)
    }

    @Test func aNodeNotHeardFromWithinTheTTLDropsOutOfEveryTotal() {
        var counts = ClusterCounts()
        _ = counts.apply(report("n1", full: true, [a: 3]), at: start)
        _ = counts.apply(report("n2", full: true, [a: 4, b: 2]), at: start + .seconds(10))
        let expired = counts.expire(now: start + .seconds(16), ttl: .seconds(15))
        #expect(expired.nodes == ["n1"] && expired.streams == [a])
        #expect(counts.remoteViewers(of: [a, b]) == [a: 4, b: 2])
        #expect(counts.liveNodes == 1)
    }
}
